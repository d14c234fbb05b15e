/** Report pieces: PNG charts (XChart) and Spearman's rank correlation. */
package ai.aim4j.report;
