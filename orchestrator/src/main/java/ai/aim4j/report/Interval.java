package ai.aim4j.report;

import java.util.Arrays;

/**
 * A mean over independent repeats (seeds) and its two-sided confidence interval from Student's t.
 * One repeat has no interval: its bounds are NaN and {@link #defined()} is false.
 *
 * @param mean the sample mean
 * @param low  the lower bound
 * @param high the upper bound
 * @param n    the number of repeats
 */
public record Interval(double mean, double low, double high, int n) {
    /** The confidence of every interval in the reproduction's report. */
    public static final double CONFIDENCE = 0.95;

    /** The 95% t-interval of the mean of {@code values}. */
    public static Interval of(double... values) {
        int n = values.length;
        if (n == 0) {
            throw new IllegalArgumentException("an interval needs at least one value");
        }
        double mean = Arrays.stream(values).average().orElseThrow();
        if (n == 1) {
            return new Interval(mean, Double.NaN, Double.NaN, 1);
        }
        double ss = 0;
        for (double v : values) {
            ss += (v - mean) * (v - mean);
        }
        double half = StudentT.twoSidedQuantile(CONFIDENCE, n - 1) * Math.sqrt(ss / (n - 1) / n);
        return new Interval(mean, mean - half, mean + half, n);
    }

    /** Whether there is an interval (two repeats or more). */
    public boolean defined() {
        return n >= 2;
    }

    /** Half the interval's width (NaN for one repeat). */
    public double halfWidth() {
        return (high - low) / 2;
    }
}
