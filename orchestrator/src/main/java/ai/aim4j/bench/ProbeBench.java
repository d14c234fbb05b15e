package ai.aim4j.bench;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.source.Synthetic;
import ai.aim4j.data.BatchTensors;
import ai.aim4j.data.ModelInput;
import ai.aim4j.dist.SingleProcess;
import ai.aim4j.files.FileTrees;
import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.optim.LrSchedule;
import ai.aim4j.model.probe.ProbeHead;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.probe.FeatureCache;
import ai.aim4j.probe.ProbeTrainer;
import ai.aim4j.run.Precision;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Probe training speed: the trunk's feature extraction, one epoch of one head on cached features,
 * and one epoch of a grid of G heads trained side by side, with the grid's cost against G separate
 * runs, both with cached features and with the trunk in the loop (trunk once per batch for all heads);
 * and one head's step on a batch of features next to the same step of aim4j's reference head in
 * PyTorch and JAX ({@link PythonPeers}), taking turns ({@link Interleaved}).
 */
public final class ProbeBench {
    /** Images per step, as {@code aim4j probe} trains by default. */
    public static final int BATCH = 256;
    private static final int CLASSES = 10;

    private ProbeBench() {}

    /** The default geometry: width 384, 6 blocks, 32 px images in 4 px patches (64 tokens). */
    public static AimConfig defaultModel() {
        return AimConfig.vit("width-384", 32, 4, 3, 384, 6, 6);
    }

    /**
     * The probe's costs on {@code images} synthetic images: the trunk's features, one head's epoch and
     * a grid of {@code heads} heads' epoch on them cached, and the grid against separate runs, with the
     * trunk in the loop too; {@code threads} loader threads; lines to {@code out}.
     */
    public static void run(AimConfig config, int images, int heads, int threads, PrintStream out) throws IOException {
        Path tmp = Files.createTempDirectory("aim4j-bench-probe");
        try {
            int size = config.imgSize()[0];
            // Two shards, or one for a single image (a shard holds at least one).
            DatasetWriter.write(new Synthetic(images, size, 0, "train"), tmp.resolve("data"), Math.min(2, images), null, Map.of(), n -> { });
            AimConfig c = config.withNumClasses(CLASSES);
            try (ShardSet data = ShardSet.open(tmp.resolve("data"));
                 Aim aim = Aim.load(c, NamedTensors.inMemory(Initializer.materialize(new Aim(c, false), 0)), DataType.FLOAT32, "bench")) {
                long t0 = System.nanoTime();
                FeatureCache cache = FeatureCache.compute(aim, data, ModelInput.transform(c, data, "none", false), id -> 0,
                        new long[] {images}, 128, threads, SingleProcess.INSTANCE)[0];
                double trunk = (System.nanoTime() - t0) / 1e9;
                try (cache) {
                    double one = epoch(c, cache, 1);
                    double grid = epoch(c, cache, heads);
                    double loopOne = trunkInTheLoop(aim, data, 1);
                    double loopGrid = trunkInTheLoop(aim, data, heads);
                    out.printf("model            %s (width %d, %d blocks, %d tokens), %d images, batch %d%n", c.name(), c.dim(), c.blocks(),
                            c.numPatches(), images, BATCH);
                    out.printf("trunk features   %.1f images/s%n", images / trunk);
                    out.printf("cached, 1 head   %.1f images/s%n", images / one);
                    out.printf("cached, %d heads  %.1f images/s (all heads), %.1f head-images/s%n", heads, images / grid, heads * images / grid);
                    out.printf("trunk in loop    1 head %.1f images/s, %d heads %.1f images/s (all heads)%n", images / loopOne, heads,
                            images / loopGrid);
                    out.printf("grid of %d vs %d separate runs: %.2f of the cost with cached features, %.2f with the trunk in the loop%n", heads,
                            heads, grid / (heads * one), loopGrid / (heads * loopOne));
                }
            }
        } finally {
            FileTrees.delete(tmp);
        }
    }

    /** One epoch with the trunk run per batch (as with augmentation), all heads stepping on its features. */
    private static double trunkInTheLoop(Aim aim, ShardSet data, int heads) {
        AimConfig c = aim.config();
        List<ProbeTrainer.GridPoint> grid = new ArrayList<>(Collections.nCopies(heads, new ProbeTrainer.GridPoint(1e-3, 0.05)));
        long steps = (data.size() + BATCH - 1) / BATCH;
        try (ProbeTrainer t = heads(c, grid);
             BatchLoader loader = new BatchLoader(data, new Sampler(data.size(), 0, 0, 1).strided(new Sampler.Cursor(0, 0)), BATCH,
                     ModelInput.transform(c, data, "none", false), 0, 1, 2, false, w -> { })) {
            var schedules = t.schedules(steps);
            long t0 = System.nanoTime();
            for (long step = 0; step < steps; step++) {
                try (Batch b = loader.next(); NDManager scope = NDManager.newBaseManager()) {
                    t.step(aim.probeFeatures(BatchTensors.images(b, scope)), scope.create(b.labels()), schedules, step);
                }
            }
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /**
     * One head's training step on a fixed batch of random features, aim4j in each precision and the
     * peers, taking turns; the table.
     *
     * @param peak the theoretical peak, or null where it is unknown
     */
    public static SideBySide sideBySide(AimConfig config, Interleaved.Schedule schedule, List<Precision> precisions, PythonEnvironment python,
                                        List<String> peers, CpuPeak peak) throws IOException {
        AimConfig c = config.withNumClasses(CLASSES);
        List<SideBySide.Rate> rates = new ArrayList<>();
        rates.add(new SideBySide.Rate(Precision.FP32, MatmulRate.gflops(2048, 2048, 2048, 2, 7), MatmulRate.engine() + ", 2048^3"));
        if (precisions.contains(Precision.BF16)) {
            rates.add(MatmulRate.bf16(peak, (long) BATCH * c.numPatches(), c.dim(), c.dim(), "the key map of ml-aim's head"));
        }
        try (NDManager batch = NDManager.newBaseManager();
             ProbeTrainer trainer = heads(c, List.of(new ProbeTrainer.GridPoint(1e-3, 0.05)));
             PythonPeers others = python == null || peers.isEmpty() ? null
                     : PythonPeers.start(python, "probe", c.toJson(), BATCH, EngineThreads.count(), peers)) {
            NDArray features = batch.randomNormal(new Shape(BATCH, c.numPatches(), c.dim()));
            NDArray labels = batch.randomInteger(0, CLASSES, new Shape(BATCH), DataType.INT32);
            List<LrSchedule> schedules = trainer.schedules(1_000_000); // any length: the rate does not change the work
            long[] step = {0};
            List<Contestant> contestants = new ArrayList<>();
            for (Precision p : precisions) {
                contestants.add(new InProcess(SideBySide.AIM4J, p, () -> {
                    try (Autocast ignored = p.scope()) {
                        trainer.step(features, labels, schedules, step[0]++);
                    }
                }));
            }
            if (others != null) {
                contestants.addAll(others.contestants());
                rates.addAll(others.matmul());
            }
            return new SideBySide(BATCH, AimFlops.probeStepPerImage(c), AimFlops.aimProbeStepPerImage(c), rates, peak,
                    Interleaved.measure(contestants, schedule), schedule.rounds());
        }
    }

    private static double epoch(AimConfig c, FeatureCache cache, int heads) {
        List<ProbeTrainer.GridPoint> grid = new ArrayList<>(Collections.nCopies(heads, new ProbeTrainer.GridPoint(1e-3, 0.05)));
        try (ProbeTrainer t = heads(c, grid)) {
            t.train(cache, 1, BATCH, 0, s -> { }); // warm-up epoch
            long t0 = System.nanoTime();
            t.train(cache, 1, BATCH, 1, s -> { });
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    /** Identically initialized probe heads, one per grid point, with the probe's schedule. */
    private static ProbeTrainer heads(AimConfig c, List<ProbeTrainer.GridPoint> grid) {
        return new ProbeTrainer(grid, 0.05, () -> ProbeHead.init(c, 0));
    }
}
