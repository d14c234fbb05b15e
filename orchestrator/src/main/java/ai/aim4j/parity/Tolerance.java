package ai.aim4j.parity;


/**
 * Every numeric tolerance of the parity checks, with its reason. Most are absolute bounds scaled to
 * the reference tensor's largest magnitude, because element-wise relative errors explode near zero.
 */
public enum Tolerance {
    /**
     * A float32 run against the official float32 or float64 activations: {@code 2e-5 x max|ref|}.
     * The references' own float32-vs-float64 noise is at most about 1e-6 x max, and a float32
     * implementation with another summation order differs by a few times that.
     */
    FLOAT32(2e-5, Scale.MAX_ABS_REF),
    /**
     * Float32 gradients against the official ones: {@code 1e-5 x max|ref|}. Measured errors are about
     * 1.1e-6 x max (a different summation order in float32); 1e-5 leaves a margin of ten, no more.
     */
    GRADIENT(1e-5, Scale.MAX_ABS_REF),
    /**
     * A float64 run against the official float64 results: {@code 1e-10 x max|ref|}. Double precision
     * agrees to about 1e-12 x max whatever the operation order; anything above 1e-10 is a real
     * difference in the formula, not rounding.
     */
    FLOAT64(1e-10, Scale.MAX_ABS_REF),
    /** The scalar pre-training loss in float32: {@code 1e-5 x |ref|} (its f32-vs-f64 noise is ~4e-8 relative). */
    LOSS(1e-5, Scale.MAX_ABS_REF),
    /**
     * Parameters after one AdamW step, element by element: 2 float32 ulps of the reference value, or
     * 3e-7 absolute where {@code |p| < 1}. Float32 arithmetic in torch's operation order reproduces the
     * files to the bit; the bound leaves room for one rounding step of another order, no more.
     */
    STEP(2, Scale.ULPS),
    /**
     * A bf16 mixed-precision pass against PyTorch's {@code torch.autocast} of the same float32
     * weights, as a whole tensor: the root-mean-square error within {@code 1.6e-2 x} the reference's
     * root mean square, four bf16 steps (one step is 2^-8 of a value). Both sides round the same
     * operands to bf16 at the same points, but the kernels differ in one place: a bf16 linear map
     * with a bias rounds once in PyTorch 2.13 ({@code round(x W + b)}) and twice in libtorch 2.7.1,
     * which aim4j runs ({@code round(round(x W) + b)}), so about a quarter of such outputs sit one
     * step apart, and the layers after carry the steps on: measured 3e-3 to 5e-3 of the RMS on the
     * forward outputs, up to 1.1e-2 on gradients. Plain float32 against autocast is within the bound
     * too, so the tests also check that a mixed-precision run is bf16 arithmetic.
     */
    BF16(1.6e-2, Scale.RMS_REF),
    /** The learning-rate schedule: {@code 1e-9} absolute (double-precision formulas on both sides). */
    SCHEDULE(1e-9, Scale.ABSOLUTE);

    /** What a tolerance value is multiplied by. */
    private enum Scale { MAX_ABS_REF, ABSOLUTE, ULPS, RMS_REF }

    /** The absolute floor of {@link #STEP} for parameters below 1 in magnitude. */
    private static final double STEP_FLOOR = 3e-7;

    private final double value;
    private final Scale scale;

    Tolerance(double value, Scale scale) {
        this.value = value;
        this.scale = scale;
    }

    /**
     * The absolute bound for the element whose reference is {@code ref}, in a tensor whose largest
     * magnitude is {@code maxAbsRef}; for a {@linkplain #wholeTensor() whole-tensor} tolerance, the bound
     * of the root-mean-square error, {@code rmsRef} being the reference's root mean square.
     */
    public double bound(double ref, double maxAbsRef, double rmsRef) {
        return switch (scale) {
            case ABSOLUTE -> value;
            case MAX_ABS_REF -> value * Math.max(maxAbsRef, 1e-30);
            case ULPS -> Math.max(value * Math.ulp((float) ref), Math.abs(ref) < 1 ? STEP_FLOOR : 0);
            case RMS_REF -> value * Math.max(rmsRef, 1e-30);
        };
    }

    /** Whether the bound is on the root-mean-square error of the whole tensor rather than on each element. */
    public boolean wholeTensor() {
        return scale == Scale.RMS_REF;
    }
}
