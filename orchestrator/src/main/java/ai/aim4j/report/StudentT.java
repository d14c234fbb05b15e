package ai.aim4j.report;

/**
 * Student's t distribution with a whole number of degrees of freedom, for confidence intervals over
 * a few repeats. The probability is the finite series of Abramowitz and Stegun 26.7.3/26.7.4, exact
 * for whole degrees of freedom, so the quantile is exact up to the bisection's precision.
 */
public final class StudentT {
    private StudentT() {}

    /** {@code P(|T| <= t)} with {@code df} degrees of freedom. */
    public static double centralProbability(double t, int df) {
        if (df < 1) {
            throw new IllegalArgumentException("Student's t needs at least 1 degree of freedom, got " + df);
        }
        double theta = Math.atan(Math.abs(t) / Math.sqrt(df));
        double cos = Math.cos(theta);
        double cos2 = cos * cos;
        if (df % 2 == 1) {
            double term = cos;
            double sum = df > 1 ? cos : 0;
            for (int k = 3; k <= df - 2; k += 2) {
                term *= (k - 1) / (double) k * cos2;
                sum += term;
            }
            return 2 / Math.PI * (theta + Math.sin(theta) * sum);
        }
        double term = 1;
        double sum = 1;
        for (int k = 2; k <= df - 2; k += 2) {
            term *= (k - 1) / (double) k * cos2;
            sum += term;
        }
        return Math.sin(theta) * sum;
    }

    /**
     * The {@code t} with {@code P(|T| <= t) = confidence}: a two-sided interval's multiplier of the
     * standard error (1.96 as {@code df} grows, for 95%).
     */
    public static double twoSidedQuantile(double confidence, int df) {
        if (!(confidence > 0 && confidence < 1)) {
            throw new IllegalArgumentException("confidence must lie strictly between 0 and 1, got " + confidence);
        }
        double lo = 0;
        double hi = 1;
        while (centralProbability(hi, df) < confidence) {
            hi *= 2;
        }
        // The probability grows strictly with t, so halving the bracket converges to the root; 200 halvings exhaust a double.
        for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
            double mid = (lo + hi) / 2;
            if (centralProbability(mid, df) < confidence) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return (lo + hi) / 2;
    }
}
