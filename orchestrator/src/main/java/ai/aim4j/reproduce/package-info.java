/**
 * The reproduction of the paper's findings: a stored plan, each step an engine call with its
 * equivalent command line, results kept so a re-run continues, and the report with its targets.
 */
package ai.aim4j.reproduce;
