package ai.aim4j.bench;

import ai.aim4j.model.nn.Autocast;
import ai.aim4j.run.Precision;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** The matrix-multiply rate of this machine through the same engine, per precision, as the MFU denominator. */
public final class MatmulRate {
    private MatmulRate() {}

    /** The engine these rates measure, for the printout: aim4j's libtorch and its version. */
    public static String engine() {
        return "libtorch " + Engine.getInstance().getVersion() + " (aim4j's engine)";
    }

    /** Median GFLOP/s of fp32 {@code (m, k) x (k, n)} products. */
    public static double gflops(long m, long k, long n, int warmup, int iters) {
        return gflops(m, k, n, warmup, iters, Precision.FP32);
    }

    /**
     * aim4j's bf16 rate for a side-by-side table: where the CPU has bf16 units ({@code peak}), the best of
     * 2048^3, which the peers measure too, and the model's own {@code (m, k) x (k, n)} product (named
     * {@code shape}); without them, or with the peak unknown, that product alone (a 2048^3 bf16 product
     * then takes tens of seconds).
     */
    public static SideBySide.Rate bf16(CpuPeak peak, long m, long k, long n, String shape) {
        double own = gflops(m, k, n, 2, 5, Precision.BF16);
        if (peak == null || peak.bf16() == CpuPeak.Bf16.NONE) {
            return new SideBySide.Rate(Precision.BF16, own, engine() + ", " + shape);
        }
        return new SideBySide.Rate(Precision.BF16, Math.max(own, gflops(2048, 2048, 2048, 2, 5, Precision.BF16)),
                engine() + ", best of 2048^3 and " + shape);
    }

    /** Median GFLOP/s of {@code (m, k) x (k, n)} products with operands in {@code precision}'s product type. */
    public static double gflops(long m, long k, long n, int warmup, int iters, Precision precision) {
        try (NDManager manager = NDManager.newBaseManager(); Autocast scope = precision.scope()) {
            NDArray a = Autocast.operand(manager.randomNormal(new Shape(m, k)), manager);
            NDArray b = Autocast.operand(manager.randomNormal(new Shape(k, n)), manager);
            // libtorch's CPU operators finish before they return: the product is done when matMul is.
            double[] times = Timing.median(warmup, iters, () -> a.matMul(b).close());
            return 2.0 * m * k * n / times[0] / 1e9;
        }
    }
}
