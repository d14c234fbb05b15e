package ai.aim4j.bench;

import ai.aim4j.dist.Collectives;
import ai.aim4j.dist.SingleProcess;
import ai.aim4j.model.AimPretraining;
import ai.aim4j.model.PrefixCausalMask;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.optim.AdamW;
import ai.aim4j.model.optim.DecayGroups;
import ai.aim4j.train.TrainStep;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The pre-training step benchmark: the step of {@code aim4j pretrain} ({@link TrainStep}) on random
 * images, timed as a median, against the fp32 matmul rate measured in the same run, the machine's
 * theoretical AVX2-FMA peak, and the same step in PyTorch eager run side by side.
 */
public final class TrainBench {
    private TrainBench() {}

    /** Figures of one configuration. */
    public record Result(String name, PretrainConfig config, int batch, double stepSeconds, double matmulGflops, double peakGflops,
                         JsonNode torch) {
        double gflops() {
            return AimFlops.pretrainStepPerImage(config) * batch / stepSeconds / 1e9;
        }

        public void print(PrintStream out) {
            var t = config.trunk();
            out.printf("%s: width %d, %d blocks, %d tokens, head %dx%d, batch %d%n", name, t.dim(), t.blocks(), t.numPatches(),
                    config.headWidth(), config.headBlocks(), batch);
            out.printf("  aim4j     step %.4f s, %.1f images/s, %.0f tokens/s, %.1f GFLOP/s%n", stepSeconds, batch / stepSeconds,
                    batch * (double) t.numPatches() / stepSeconds, gflops());
            out.printf("  MFU       %.1f%% of the measured fp32 matmul rate (%.1f GFLOP/s), %.1f%% of the theoretical peak (%.0f GFLOP/s)%n",
                    100 * gflops() / matmulGflops, matmulGflops, 100 * gflops() / peakGflops, peakGflops);
            if (torch != null && torch.has("median_step_s")) {
                double ts = torch.get("median_step_s").asDouble();
                out.printf("  PyTorch   step %.4f s, %.1f images/s, %.1f GFLOP/s (eager, torch %s, %d threads, OpenBLAS): aim4j is %.2fx faster%n",
                        ts, batch / ts, gflops() * stepSeconds / ts, torch.path("torch").asText(), torch.path("threads").asInt(), ts / stepSeconds);
            } else if (torch != null) {
                out.printf("  PyTorch   not run: %s%n", torch.asText());
            }
        }
    }

    /** One geometry of the benchmark, with its batch. */
    public record Geometry(String name, PretrainConfig config, int batch) {}

    /**
     * The default geometries: widths 192 and 384 (6 blocks, 32 px images in 4 px patches = 64
     * tokens, pixel head 256x2, batch 64), and the 224 px / 14 px geometry (256 tokens, width 192,
     * 2 blocks, head 256x3, batch 8).
     */
    public static List<Geometry> defaults() {
        List<Geometry> out = new ArrayList<>();
        for (int width : new int[] {192, 384}) {
            out.add(new Geometry("width " + width, pretraining(AimConfig.vit("small", 32, 4, 3, width, 6, width / 64), 2), 64));
        }
        out.add(new Geometry("vit224 geometry", pretraining(AimConfig.vit("vit224", 224, 14, 3, 192, 2, 3), 3), 8));
        return out;
    }

    /** A trunk with the recipe's LayerNorm eps and a 256-wide pixel head. */
    private static PretrainConfig pretraining(AimConfig trunk, int headBlocks) {
        return new PretrainConfig(trunk.withLayerNormEps(1e-5), 256, headBlocks, 4, 1e-5);
    }

    public static Result run(String name, PretrainConfig c, int batch, int warmup, int steps, boolean withTorch) throws IOException {
        long tokens = (long) batch * c.trunk().numPatches();
        double matmul = Math.max(MatmulRate.gflops(2048, 2048, 2048, 2, 5),
                Math.max(MatmulRate.gflops(tokens, c.trunk().dim(), c.trunk().mlpHidden(), 2, 5),
                        MatmulRate.gflops(tokens, c.trunk().mlpHidden(), c.trunk().dim(), 2, 5)));
        double step = stepSeconds(c, batch, warmup, steps, SingleProcess.INSTANCE)[0];
        JsonNode torch = null;
        if (withTorch) {
            String missing = TorchReference.unavailable();
            torch = missing != null ? TextNode.valueOf(missing)
                    : TorchReference.run(c, batch, warmup, steps, Runtime.getRuntime().availableProcessors());
        }
        return new Result(name, c, batch, step, matmul, theoreticalPeak(), torch);
    }

    /**
     * Median seconds of the whole step and of its communication, {@code [step, comm]}, of the
     * {@link TrainStep} of {@code aim4j pretrain} on random images, {@code batch} per rank, on every
     * rank of {@code comm}.
     */
    public static double[] stepSeconds(PretrainConfig c, int batch, int warmup, int steps, Collectives comm) {
        try (AimPretraining model = AimPretraining.initialize(c, 0, DataType.FLOAT32);
             AdamW opt = new AdamW(model.trainableParameters(), AdamW.Hyper.RECIPE, new DecayGroups(DecayGroups.RECIPE_EXCLUDES));
             TrainStep trainStep = new TrainStep(model, opt, comm)) {
            var t = c.trunk();
            int n = t.numPatches();
            ByteBuffer pixels = ByteBuffer.allocateDirect(batch * t.channels() * t.imgSize()[0] * t.imgSize()[1] * 4).order(ByteOrder.nativeOrder());
            SplittableRandom rng = new SplittableRandom(1 + comm.rank());
            while (pixels.hasRemaining()) {
                pixels.putFloat((float) rng.nextGaussian());
            }
            pixels.flip();
            long[] ids = new long[batch];
            long[] epochs = new long[batch];
            long[] counter = {(long) comm.rank() << 32};
            List<Double> comms = new ArrayList<>();
            double step = Timing.median(warmup, steps, () -> {
                for (int i = 0; i < batch; i++) {
                    ids[i] = counter[0]++;
                }
                try (NDManager scope = NDManager.newBaseManager()) {
                    NDArray x = scope.create(pixels, new Shape(batch, t.channels(), t.imgSize()[0], t.imgSize()[1]), DataType.FLOAT32);
                    NDArray mask = scope.create(PrefixCausalMask.sample(0, epochs, ids, n), new Shape(batch, n));
                    trainStep.accumulate(x, mask);
                }
                comms.add(trainStep.finish(1e-3, 1.0).commS());
            })[0];
            return new double[] {step, Timing.median(comms.subList(warmup, comms.size()))};
        }
    }

    /** cores x clock x 32 FLOP/cycle (two 8-wide fp32 FMA units, AVX2); the clock from /proc/cpuinfo. */
    static double theoreticalPeak() {
        double mhz = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("cpu MHz")) {
                    mhz = Math.max(mhz, Double.parseDouble(line.substring(line.indexOf(':') + 1).strip()));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return Double.NaN;
        }
        return Runtime.getRuntime().availableProcessors() * mhz * 1e6 * 32 / 1e9;
    }
}
