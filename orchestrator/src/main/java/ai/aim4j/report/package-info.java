/**
 * Report pieces: PNG charts (XChart), Spearman's rank correlation with its bootstrap interval, and
 * t-intervals of means over seeds.
 */
package ai.aim4j.report;
