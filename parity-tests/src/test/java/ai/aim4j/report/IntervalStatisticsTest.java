package ai.aim4j.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The interval maths of the reproduction report against closed forms, printed tables and known values. */
class IntervalStatisticsTest {
    @Test
    void tQuantilesMatchClosedFormsAndTheTable() {
        // 1 degree of freedom is Cauchy: t = tan(pi (p - 1/2)) with p = 0.975.
        assertEquals(Math.tan(Math.PI * 0.475), StudentT.twoSidedQuantile(0.95, 1), 1e-9);
        // 2 degrees: P(|T| <= t) = t / sqrt(t^2 + 2), so t = c sqrt(2 / (1 - c^2)).
        assertEquals(0.95 * Math.sqrt(2 / (1 - 0.95 * 0.95)), StudentT.twoSidedQuantile(0.95, 2), 1e-9);
        assertEquals(0.99 * Math.sqrt(2 / (1 - 0.99 * 0.99)), StudentT.twoSidedQuantile(0.99, 2), 1e-9);
        // The usual table of t(0.975, df), printed to 3 decimals (so within 5e-4).
        int[] df = {3, 4, 5, 6, 9, 10, 20, 30};
        double[] table = {3.182, 2.776, 2.571, 2.447, 2.262, 2.228, 2.086, 2.042};
        for (int i = 0; i < df.length; i++) {
            assertEquals(table[i], StudentT.twoSidedQuantile(0.95, df[i]), 5e-4, "df " + df[i]);
        }
        // t(0.995, 4) = 4.604 (99% two-sided), and the normal limit 1.95996 for many degrees of freedom.
        assertEquals(4.604, StudentT.twoSidedQuantile(0.99, 4), 5e-4);
        assertEquals(1.959964, StudentT.twoSidedQuantile(0.95, 100_000), 1e-4);
        assertThrows(IllegalArgumentException.class, () -> StudentT.twoSidedQuantile(0.95, 0));
        assertThrows(IllegalArgumentException.class, () -> StudentT.twoSidedQuantile(1.0, 3));
    }

    @Test
    void intervalOfAMeanIsTheTInterval() {
        // {1..5}: mean 3, standard error sqrt(2.5 / 5); t(0.975, 4) = 2.7764451 (to 7 decimals).
        Interval v = Interval.of(1, 2, 3, 4, 5);
        double half = 2.7764451 * Math.sqrt(0.5);
        assertEquals(3, v.mean(), 0);
        assertEquals(3 - half, v.low(), 1e-6);
        assertEquals(3 + half, v.high(), 1e-6);
        assertEquals(half, v.halfWidth(), 1e-6);
        assertEquals(5, v.n());
        // One repeat: a mean without an interval.
        Interval one = Interval.of(0.7);
        assertFalse(one.defined());
        assertTrue(Double.isNaN(one.low()) && Double.isNaN(one.halfWidth()));
        // Identical repeats: an interval of zero width.
        Interval same = Interval.of(0.25, 0.25, 0.25);
        assertEquals(0.25, same.low(), 0);
        assertEquals(0.25, same.high(), 0);
    }

    @Test
    void spearmanWithTiesOnBothSides() {
        // Ranks {1, 2.5, 2.5, 4} and {1, 3, 2, 4}: Pearson of the ranks = 4.5 / sqrt(4.5 * 5) = 3 / sqrt(10) (scipy: 0.9486832980505138).
        assertEquals(3 / Math.sqrt(10), Spearman.correlation(new double[] {1, 2, 2, 3}, new double[] {1, 3, 2, 4}), 1e-12);
        // Ties in both: x ranks {1.5, 1.5, 3, 4}, y ranks {4, 2.5, 2.5, 1}: cov -3.75, var 4.5 and 4.5, rho = -5/6.
        assertEquals(-5.0 / 6, Spearman.correlation(new double[] {1, 1, 2, 3}, new double[] {9, 5, 5, 0}), 1e-12);
    }

    /** {@code n} bivariate normal pairs with correlation {@code r}. */
    private static double[][] normalPairs(SplittableRandom random, int n, double r) {
        double[][] xy = new double[2][n];
        for (int i = 0; i < n; i++) {
            double a = random.nextGaussian();
            xy[0][i] = a;
            xy[1][i] = r * a + Math.sqrt(1 - r * r) * random.nextGaussian();
        }
        return xy;
    }

    @Test
    void bootstrapIsReproducibleAndAsWideAsTheory() {
        double[][] xy = normalPairs(new SplittableRandom(11), 400, -0.8);
        SpearmanBootstrap.Result one = SpearmanBootstrap.interval(xy[0], xy[1], 1_000, 0.95, 7);
        assertEquals(one, SpearmanBootstrap.interval(xy[0], xy[1], 1_000, 0.95, 7), "the same seed gives the same interval, bit for bit");
        assertNotEquals(one, SpearmanBootstrap.interval(xy[0], xy[1], 1_000, 0.95, 8));
        double rho = Spearman.correlation(xy[0], xy[1]);
        assertTrue(one.low() < rho && rho < one.high(), one + " should hold the sample's " + rho);
        // Its width against the large-sample standard error of Spearman's rho (Fieller, Hartley and Pearson: the variance of
        // atanh(rho) is 1.06 / (n - 3), so rho's is about (1 - rho^2)^2 1.06 / (n - 3)): within 25% of 2 x 1.96 of it.
        double expected = 2 * 1.96 * (1 - rho * rho) * Math.sqrt(1.06 / (xy[0].length - 3));
        assertEquals(expected, one.high() - one.low(), 0.25 * expected);
        assertEquals(1_000, one.resamples());
    }

    @Test
    void bootstrapCoversThePopulationCorrelation() {
        // For bivariate normal pairs the population Spearman correlation is (6 / pi) asin(r / 2). Over 200 samples of 50 pairs a
        // 95% interval should hold it about 95% of the time; binomial spread (1.5%) and the percentile method's known slight
        // under-coverage at this size allow 88-99%.
        double r = -0.8;
        double truth = 6 / Math.PI * Math.asin(r / 2);
        SplittableRandom random = new SplittableRandom(3);
        int covered = 0;
        for (int k = 0; k < 200; k++) {
            double[][] xy = normalPairs(random, 50, r);
            SpearmanBootstrap.Result ci = SpearmanBootstrap.interval(xy[0], xy[1], 400, 0.95, k);
            covered += ci.low() <= truth && truth <= ci.high() ? 1 : 0;
        }
        assertTrue(covered >= 176 && covered <= 198, covered + " of 200");
    }

    @Test
    void bootstrapOfAPerfectOrderIsExact() {
        SpearmanBootstrap.Result ci = SpearmanBootstrap.interval(new double[] {0.5, 0.4, 0.3, 0.2, 0.1}, new double[] {60, 70, 80, 85, 90},
                200, 0.95, 0);
        assertEquals(-1, ci.low(), 1e-12);
        assertEquals(-1, ci.high(), 1e-12);
        // A resample of one point repeated has no correlation and is left out (chance 1 in 625 per resample here).
        assertTrue(ci.resamples() > 190 && ci.resamples() <= 200, Integer.toString(ci.resamples()));
        assertThrows(IllegalArgumentException.class, () -> SpearmanBootstrap.interval(new double[] {1, 2}, new double[] {2, 1}, 10, 0.95, 0));
    }

    @Test
    void quantilesInterpolateBetweenOrderStatistics() {
        double[] sorted = {1, 2, 3, 4, 5};
        assertEquals(1, SpearmanBootstrap.quantile(sorted, 0), 0);
        assertEquals(3, SpearmanBootstrap.quantile(sorted, 0.5), 0);
        assertEquals(1.1, SpearmanBootstrap.quantile(sorted, 0.025), 1e-12);
        assertEquals(5, SpearmanBootstrap.quantile(sorted, 1), 0);
    }
}
