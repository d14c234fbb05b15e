package ai.aim4j.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** The fp32 matrix-multiply rate of this machine through the same engine, as the MFU denominator. */
public final class MatmulRate {
    private MatmulRate() {}

    /** The engine these rates measure, for the printout: aim4j's libtorch and its version. */
    public static String engine() {
        return "libtorch " + Engine.getInstance().getVersion() + " (aim4j's engine)";
    }

    /** Median GFLOP/s of {@code (m, k) x (k, n)} products. */
    public static double gflops(long m, long k, long n, int warmup, int iters) {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.randomNormal(new Shape(m, k));
            NDArray b = manager.randomNormal(new Shape(k, n));
            double[] times = Timing.median(warmup, iters, () -> {
                try (NDArray c = a.matMul(b)) {
                    c.getFloat(0, 0); // force completion
                }
            });
            return 2.0 * m * k * n / times[0] / 1e9;
        }
    }
}
