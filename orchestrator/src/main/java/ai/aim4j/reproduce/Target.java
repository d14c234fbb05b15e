package ai.aim4j.reproduce;

/**
 * One target of the reproduction.
 *
 * @param name      what it asks
 * @param threshold the bar, as text
 * @param measured  what was measured, as text
 * @param pass      whether it holds
 * @param counts    whether it counts in this mode (the quick run has targets of its own)
 */
public record Target(String name, String threshold, String measured, boolean pass, boolean counts) {}
