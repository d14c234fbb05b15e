package ai.aim4j.bench;

import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.tensor.NamedTensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * The forward-pass benchmark: the whole model (every block, then the probe head) on random images,
 * timed as a median, with the fp32 matmul rate of this machine measured in the same run twice (a
 * large square products and the model's own MLP products) and the best as the MFU base.
 */
public final class ForwardBench {
    private ForwardBench() {}

    /** Measured figures of one run. */
    public record Result(AimConfig config, int batch, double medianSeconds, double minSeconds, double maxSeconds,
                         double flopsPerImage, double squareMatmulGflops, double modelMatmulGflops) {
        public double imagesPerSecond() {
            return batch / medianSeconds;
        }

        public double achievedGflops() {
            return flopsPerImage * batch / medianSeconds / 1e9;
        }

        public double matmulGflops() {
            return Math.max(squareMatmulGflops, modelMatmulGflops);
        }

        public double mfu() {
            return achievedGflops() / matmulGflops();
        }

        public void print(PrintStream out) {
            out.printf("model            %s (width %d, %d blocks, %d heads, %d tokens), batch %d, %d threads%n",
                    config.name(), config.dim(), config.blocks(), config.heads(), config.numPatches(), batch,
                    Runtime.getRuntime().availableProcessors());
            out.printf("forward          median %.4f s (min %.4f, max %.4f)%n", medianSeconds, minSeconds, maxSeconds);
            out.printf("throughput       %.2f images/s, %.2f GFLOP/s (%.3f GFLOP per image)%n",
                    imagesPerSecond(), achievedGflops(), flopsPerImage / 1e9);
            out.printf("fp32 matmul      %.2f GFLOP/s (best of 2048^3 and 4096^3), %.2f GFLOP/s (best of the model's fc1 and fc2 shapes)%n",
                    squareMatmulGflops, modelMatmulGflops);
            out.printf("MFU              %.1f%% of the measured matmul rate%n", 100 * mfu());
        }
    }

    public static Result run(AimConfig config, int batch, int warmup, int iters, PrintStream log) {
        log.printf("measuring the fp32 matmul rate...%n");
        double square = Math.max(MatmulRate.gflops(2048, 2048, 2048, 2, 7), MatmulRate.gflops(4096, 4096, 4096, 1, 3));
        long tokens = (long) batch * config.numPatches();
        double mlp = Math.max(MatmulRate.gflops(tokens, config.dim(), config.mlpHidden(), 2, 7),
                MatmulRate.gflops(tokens, config.mlpHidden(), config.dim(), 2, 7));
        log.printf("initializing %s in memory...%n", config.name());
        NamedTensors weights = NamedTensors.inMemory(Initializer.materialize(new Aim(config, true), 0));
        try (Aim aim = Aim.load(config, weights, DataType.FLOAT32, config.name())) {
            int c = config.channels();
            int h = config.imgSize()[0];
            int w = config.imgSize()[1];
            ByteBuffer pixels = ByteBuffer.allocateDirect(batch * c * h * w * 4).order(ByteOrder.nativeOrder());
            SplittableRandom rng = new SplittableRandom(0);
            while (pixels.hasRemaining()) {
                pixels.putFloat((float) rng.nextDouble(-2, 2));
            }
            pixels.flip();
            log.printf("timing %d + %d forward passes...%n", warmup, iters);
            double[] t = Timing.median(warmup, iters, () -> {
                try (NDManager scope = NDManager.newBaseManager()) {
                    NDArray images = scope.create(pixels, new Shape(batch, c, h, w), DataType.FLOAT32);
                    NDList blocks = aim.extractFeatures(images, -1, null);
                    aim.postTrunkNorm(blocks.getLast());
                    aim.classify(aim.averageProbeFeatures(blocks)).getFloat(0, 0);
                }
            });
            return new Result(config, batch, t[0], t[1], t[2], AimFlops.forwardPerImage(config), square, mlp);
        }
    }
}
