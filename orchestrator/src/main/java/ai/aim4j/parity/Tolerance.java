package ai.aim4j.parity;

/**
 * Every numeric tolerance of the parity checks, with its reason. Errors are absolute and scaled to
 * the reference tensor's largest magnitude, because element-wise relative errors explode near zero.
 */
public enum Tolerance {
    /**
     * A float32 run against the official float32 or float64 results: {@code 2e-5 x max|ref|}. The
     * references' own float32-vs-float64 noise is at most 1.1e-6 x max, and a float32 implementation
     * with another summation order differs by a few times that.
     */
    FLOAT32(2e-5),
    /**
     * A float64 run against the official float64 results: {@code 1e-10 x max|ref|}. Double precision
     * agrees to about 1e-12 x max whatever the operation order; anything above 1e-10 is a real
     * difference in the formula, not rounding.
     */
    FLOAT64(1e-10);

    private final double relativeToMax;

    Tolerance(double relativeToMax) {
        this.relativeToMax = relativeToMax;
    }

    public double relativeToMax() {
        return relativeToMax;
    }

    /** The absolute bound for a reference whose largest magnitude is {@code maxAbsRef}. */
    public double bound(double maxAbsRef) {
        return relativeToMax * Math.max(maxAbsRef, 1e-30);
    }
}
