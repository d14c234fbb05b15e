package ai.aim4j.parity;


/**
 * Every numeric tolerance of the parity checks, with its reason. Most are absolute bounds scaled to
 * the reference tensor's largest magnitude, because element-wise relative errors explode near zero.
 */
public enum Tolerance {
    /**
     * A float32 run against the official float32 or float64 results, activations and gradients:
     * {@code 2e-5 x max|ref|}. The references' own float32-vs-float64 noise is at most about 1e-6 x max,
     * and a float32 implementation with another summation order differs by a few times that.
     */
    FLOAT32(2e-5, Scale.MAX_ABS_REF),
    /**
     * A float64 run against the official float64 results: {@code 1e-10 x max|ref|}. Double precision
     * agrees to about 1e-12 x max whatever the operation order; anything above 1e-10 is a real
     * difference in the formula, not rounding.
     */
    FLOAT64(1e-10, Scale.MAX_ABS_REF),
    /** The scalar pre-training loss in float32: {@code 1e-5 x |ref|} (its f32-vs-f64 noise is ~4e-8 relative). */
    LOSS(1e-5, Scale.MAX_ABS_REF),
    /**
     * Parameters after one AdamW step: {@code 1e-6} absolute. The first step moves each element by
     * about {@code lr = 1e-3}; float32 arithmetic in torch's order reproduces the files exactly, and
     * 1e-6 leaves room for one or two ulps of a different order, no more.
     */
    STEP(1e-6, Scale.ABSOLUTE),
    /** The learning-rate schedule: {@code 1e-9} absolute (double-precision formulas on both sides). */
    SCHEDULE(1e-9, Scale.ABSOLUTE);

    /** What a tolerance value is multiplied by. */
    private enum Scale { MAX_ABS_REF, ABSOLUTE }

    private final double value;
    private final Scale scale;

    Tolerance(double value, Scale scale) {
        this.value = value;
        this.scale = scale;
    }

    /** The absolute bound for a reference whose largest magnitude is {@code maxAbsRef}. */
    public double bound(double maxAbsRef) {
        return scale == Scale.ABSOLUTE ? value : value * Math.max(maxAbsRef, 1e-30);
    }
}
