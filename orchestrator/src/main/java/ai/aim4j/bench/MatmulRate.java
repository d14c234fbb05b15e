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
