package ai.aim4j.report;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A percentile-bootstrap confidence interval of Spearman's correlation: the pairs are resampled
 * with replacement, the correlation of each resample computed, and the interval read off their
 * quantiles. A fixed seed makes the interval reproducible.
 */
public final class SpearmanBootstrap {
    private SpearmanBootstrap() {}

    /**
     * The interval and how many resamples made it.
     *
     * @param low       lower bound
     * @param high      upper bound
     * @param resamples resamples with a defined correlation (one whose values are all tied has none and is left out)
     */
    public record Result(double low, double high, int resamples) {}

    /** The {@code confidence} interval of Spearman's correlation of {@code (x[i], y[i])} from {@code resamples} resamples. */
    public static Result interval(double[] x, double[] y, int resamples, double confidence, long seed) {
        if (x.length != y.length || x.length < 3) {
            throw new IllegalArgumentException("a bootstrap of Spearman's correlation needs paired samples of at least 3, got "
                    + x.length + " and " + y.length);
        }
        if (resamples < 1) {
            throw new IllegalArgumentException("a bootstrap needs at least one resample, got " + resamples);
        }
        SplittableRandom random = new SplittableRandom(seed);
        int n = x.length;
        double[] rho = new double[resamples];
        int kept = 0;
        double[] rx = new double[n];
        double[] ry = new double[n];
        for (int b = 0; b < resamples; b++) {
            for (int i = 0; i < n; i++) {
                int j = random.nextInt(n);
                rx[i] = x[j];
                ry[i] = y[j];
            }
            double r = Spearman.correlation(rx, ry);
            if (!Double.isNaN(r)) {
                rho[kept++] = r;
            }
        }
        if (kept == 0) {
            throw new IllegalArgumentException("no resample has a defined Spearman correlation (all values tied)");
        }
        double[] sorted = Arrays.copyOf(rho, kept);
        Arrays.sort(sorted);
        double tail = (1 - confidence) / 2;
        return new Result(quantile(sorted, tail), quantile(sorted, 1 - tail), kept);
    }

    /** The {@code p} quantile of sorted values, interpolated linearly between order statistics. */
    static double quantile(double[] sorted, double p) {
        double pos = p * (sorted.length - 1);
        int i = (int) Math.floor(pos);
        if (i >= sorted.length - 1) {
            return sorted[sorted.length - 1];
        }
        return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
    }
}
