package ai.aim4j.bench;

import ai.aim4j.dist.Collectives;
import ai.aim4j.dist.SingleProcess;
import ai.aim4j.model.AimPretraining;
import ai.aim4j.model.PrefixCausalMask;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.optim.AdamW;
import ai.aim4j.model.optim.DecayGroups;
import ai.aim4j.run.Precision;
import ai.aim4j.train.TrainStep;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.aim4j.interop.worker.PythonEnvironment;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pre-training step benchmark: the step of {@code aim4j pretrain} ({@link TrainStep}) on random
 * images, timed as a median, next to the same step of aim4j's reference model in PyTorch and JAX
 * ({@link PythonPeers}) at the same geometry, batch and threads, against the matmul rates measured in
 * the same run and the theoretical peak ({@link CpuPeak}).
 */
public final class TrainBench {
    private TrainBench() {}

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

    /**
     * Times aim4j's step in each precision and the peers' (none when {@code python} is null), taking
     * turns ({@link Interleaved}), and returns the table.
     *
     * @param peak the theoretical peak, or null where it is unknown
     */
    public static SideBySide run(PretrainConfig c, int batch, Interleaved.Schedule schedule, List<Precision> precisions, PythonEnvironment python,
                                 List<String> peers, CpuPeak peak) throws IOException {
        long tokens = (long) batch * c.trunk().numPatches();
        double matmul = Math.max(MatmulRate.gflops(2048, 2048, 2048, 2, 5),
                Math.max(MatmulRate.gflops(tokens, c.trunk().dim(), c.trunk().mlpHidden(), 2, 5),
                        MatmulRate.gflops(tokens, c.trunk().mlpHidden(), c.trunk().dim(), 2, 5)));
        List<SideBySide.Rate> rates = new ArrayList<>();
        rates.add(new SideBySide.Rate(Precision.FP32, matmul, MatmulRate.engine() + ", best of 2048^3 and the MLP's shapes"));
        if (precisions.contains(Precision.BF16)) {
            rates.add(MatmulRate.bf16(peak, tokens, c.trunk().dim(), c.trunk().mlpHidden(), "the MLP's first product"));
        }
        List<Steps> own = new ArrayList<>();
        try (PythonPeers others = python == null || peers.isEmpty() ? null
                : PythonPeers.start(python, "train", c.toJson(), batch, EngineThreads.count(), peers)) {
            List<Contestant> contestants = new ArrayList<>();
            for (Precision p : precisions) {
                Steps steps = new Steps(c, batch, SingleProcess.INSTANCE, p);
                own.add(steps);
                contestants.add(new InProcess(SideBySide.AIM4J, p, steps));
            }
            if (others != null) {
                contestants.addAll(others.contestants());
                rates.addAll(others.matmul());
            }
            return new SideBySide(batch, AimFlops.pretrainStepPerImage(c), AimFlops.trainingStepPerImage(c), rates, peak,
                    Interleaved.measure(contestants, schedule), schedule.rounds());
        } finally {
            own.forEach(Steps::close);
        }
    }

    /**
     * Profiles {@code calls} of aim4j's steps in each precision, after {@code warmup} untimed ones (and
     * {@link Timing#WARMUP_SECONDS} of them): a trace file each in {@code dir}, named after the trunk
     * and its width, and the heaviest operators and product shapes printed.
     */
    public static void profile(PretrainConfig c, int batch, int warmup, int calls, List<Precision> precisions, Path dir, PrintStream out)
            throws IOException {
        Files.createDirectories(dir);
        for (Precision p : precisions) {
            try (Steps s = new Steps(c, batch, SingleProcess.INSTANCE, p)) {
                Timing.warmUp(warmup, Timing.WARMUP_SECONDS, s);
                Path trace = dir.resolve(c.trunk().name() + "-" + c.trunk().dim() + "-" + p + ".json");
                OperatorProfile profile = OperatorProfile.record(s, calls, trace);
                out.printf("  libtorch's profile of %d aim4j %s steps, per step: %s%n", calls, p, trace);
                profile.print(out, OperatorProfile.ROWS);
            }
        }
    }

    /** The line naming a geometry. */
    public static String describe(String name, PretrainConfig c, int batch) {
        var t = c.trunk();
        return String.format("%s: width %d, %d blocks, %d tokens, head %dx%d, batch %d, %d threads", name, t.dim(), t.blocks(), t.numPatches(),
                c.headWidth(), c.headBlocks(), batch, EngineThreads.count());
    }

    /**
     * Seconds of a step ({@link Timing#median(int, int, Runnable)}'s median, min, max and first call) and
     * the median seconds of its communication.
     */
    public record StepTimes(double[] step, double commS) {}

    /**
     * The times of the {@link TrainStep} of {@code aim4j pretrain} on random images, {@code batch} per
     * rank, on every rank of {@code comm}, in {@code precision}, after {@code warmup} untimed steps.
     */
    public static StepTimes stepSeconds(PretrainConfig c, int batch, int warmup, int steps, Collectives comm, Precision precision) {
        try (Steps s = new Steps(c, batch, comm, precision)) {
            // A count, never seconds: every step all-reduces, and ranks that each watched their own clock
            // could stop warming up after different numbers of steps, one then waiting in a collective
            // that no other rank joins.
            double[] step = Timing.median(warmup, steps, s);
            return new StepTimes(step, Timing.median(s.commS.subList(s.commS.size() - steps, s.commS.size())));
        }
    }

    /**
     * The {@link TrainStep} of {@code aim4j pretrain} on random images, {@code batch} per rank of
     * {@code comm}, in {@code precision}: one {@link #run()} is one step, each with new prefixes.
     */
    private static final class Steps implements Runnable, AutoCloseable {
        private final AimPretraining model;
        private final AdamW opt;
        private final TrainStep trainStep;
        private final AimConfig trunk;
        private final int batch;
        private final ByteBuffer pixels;
        private final long[] ids;
        private final long[] epochs;
        private long counter;
        private final List<Double> commS = new ArrayList<>();

        Steps(PretrainConfig c, int batch, Collectives comm, Precision precision) {
            this.model = AimPretraining.initialize(c, 0, DataType.FLOAT32);
            this.opt = new AdamW(model.trainableParameters(), AdamW.Hyper.RECIPE, new DecayGroups(DecayGroups.RECIPE_EXCLUDES));
            this.trainStep = new TrainStep(model, opt, comm, precision);
            this.trunk = c.trunk();
            this.batch = batch;
            this.pixels = BenchImages.random(trunk, batch, 1 + comm.rank());
            this.ids = new long[batch];
            this.epochs = new long[batch];
            this.counter = (long) comm.rank() << 32;
        }

        @Override
        public void run() {
            for (int i = 0; i < batch; i++) {
                ids[i] = counter++;
            }
            int n = trunk.numPatches();
            try (NDManager scope = NDManager.newBaseManager()) {
                NDArray x = scope.create(pixels, new Shape(batch, trunk.channels(), trunk.imgSize()[0], trunk.imgSize()[1]), DataType.FLOAT32);
                NDArray mask = scope.create(PrefixCausalMask.sample(0, epochs, ids, n), new Shape(batch, n));
                trainStep.accumulate(x, mask);
            }
            commS.add(trainStep.finish(1e-3, 1.0).commS());
        }

        @Override
        public void close() {
            try (model; opt; trainStep) {
                // Closed in reverse order: the step, the optimizer, the model.
            }
        }
    }
}
