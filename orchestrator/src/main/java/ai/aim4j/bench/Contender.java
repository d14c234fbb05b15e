package ai.aim4j.bench;

import ai.aim4j.run.Precision;

/**
 * One implementation in a side-by-side benchmark: the seconds of its steps (or forward passes) as
 * median, min and max, and of its first call (compilation included), or why it did not run.
 *
 * @param unavailable null when it ran, else the reason it did not
 */
public record Contender(String name, Precision precision, double medianS, double minS, double maxS, double firstS, String unavailable) {
    /** A contender that ran. */
    public static Contender timed(String name, Precision precision, double medianS, double minS, double maxS, double firstS) {
        return new Contender(name, precision, medianS, minS, maxS, firstS, null);
    }

    /** A contender that could not run here, and why. */
    public static Contender unavailable(String name, Precision precision, String why) {
        return new Contender(name, precision, Double.NaN, Double.NaN, Double.NaN, Double.NaN, why);
    }

    /** Whether it ran. */
    public boolean ran() {
        return unavailable == null;
    }
}
