package ai.aim4j.bench;

import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.model.Aim;
import ai.aim4j.model.aten.Aten;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.Precision;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The forward-pass benchmark: the whole model (every block, then the probe head) on random images,
 * timed as a median, next to aim4j's reference model in PyTorch and JAX ({@link PythonPeers}) in
 * their inference modes at the same batch and threads, against the matmul rates measured in the
 * same run (large square products and the model's own MLP products, the best of them) and the
 * theoretical peak ({@link CpuPeak}).
 */
public final class ForwardBench {
    private ForwardBench() {}

    /** The line naming a model and batch. */
    public static String describe(AimConfig c, int batch) {
        return String.format("%s: width %d, %d blocks, %d heads, %d tokens, batch %d, %d threads", c.name(), c.dim(), c.blocks(), c.heads(),
                c.numPatches(), batch, EngineThreads.count());
    }

    /**
     * Times aim4j's forward pass in each precision and the peers' (none when {@code python} is null),
     * taking turns ({@link Interleaved}), and returns the table.
     *
     * @param peak the theoretical peak, or null where it is unknown
     * @param log progress lines
     */
    public static SideBySide run(AimConfig config, int batch, Interleaved.Schedule schedule, List<Precision> precisions, PythonEnvironment python,
                                 List<String> peers, CpuPeak peak, PrintStream log) throws IOException {
        log.printf("measuring the fp32 matmul rate...%n");
        long tokens = (long) batch * config.numPatches();
        double matmul = Math.max(Math.max(MatmulRate.gflops(2048, 2048, 2048, 2, 7), MatmulRate.gflops(4096, 4096, 4096, 1, 3)),
                Math.max(MatmulRate.gflops(tokens, config.dim(), config.mlpHidden(), 2, 7),
                        MatmulRate.gflops(tokens, config.mlpHidden(), config.dim(), 2, 7)));
        List<SideBySide.Rate> rates = new ArrayList<>();
        rates.add(new SideBySide.Rate(Precision.FP32, matmul, MatmulRate.engine() + ", best of 2048^3, 4096^3 and the MLP's shapes"));
        if (precisions.contains(Precision.BF16)) {
            rates.add(MatmulRate.bf16(peak, tokens, config.dim(), config.mlpHidden(), "the MLP's first product"));
        }
        log.printf("initializing %s in memory...%n", config.name());
        NamedTensors weights = randomWeights(config);
        if (python != null && !peers.isEmpty()) {
            log.printf("starting the peers...%n");
        }
        try (Aim aim = Aim.load(config, weights, DataType.FLOAT32, config.name());
             PythonPeers others = python == null || peers.isEmpty() ? null
                     : PythonPeers.start(python, "forward", config.toJson(), batch, EngineThreads.count(), peers)) {
            List<Contestant> contestants = new ArrayList<>();
            ByteBuffer pixels = BenchImages.random(config, batch, 0);
            for (Precision p : precisions) {
                contestants.add(new InProcess(SideBySide.AIM4J, p, () -> forward(aim, pixels, batch, p)));
            }
            if (others != null) {
                contestants.addAll(others.contestants());
                rates.addAll(others.matmul());
            }
            log.printf("timing %d round(s) of %d forward passes each, taking turns...%n", schedule.rounds(), schedule.steps());
            return new SideBySide(batch, AimFlops.forwardPerImage(config), AimFlops.aimForwardPerImage(config), rates, peak,
                    Interleaved.measure(contestants, schedule), schedule.rounds());
        }
    }

    /**
     * Profiles {@code calls} of aim4j's forward passes in each precision, after {@code warmup} untimed
     * ones (and {@link Timing#WARMUP_SECONDS} of them): a trace file each in {@code dir}, named after
     * the model, the batch and the precision, and the heaviest operators and product shapes printed.
     */
    public static void profile(AimConfig config, int batch, int warmup, int calls, List<Precision> precisions, Path dir, PrintStream out)
            throws IOException {
        Files.createDirectories(dir);
        try (Aim aim = Aim.load(config, randomWeights(config), DataType.FLOAT32, config.name())) {
            ByteBuffer pixels = BenchImages.random(config, batch, 0);
            for (Precision p : precisions) {
                Runnable pass = () -> forward(aim, pixels, batch, p);
                Timing.warmUp(warmup, Timing.WARMUP_SECONDS, pass);
                Path trace = dir.resolve(config.name() + "-batch" + batch + "-" + p + ".json");
                OperatorProfile profile = OperatorProfile.record(pass, calls, trace);
                out.printf("  libtorch's profile of %d aim4j %s forward passes, per pass: %s%n", calls, p, trace);
                profile.print(out, OperatorProfile.ROWS);
            }
        }
    }

    /** The model's official initialization, seed 0, as weights to load. */
    private static NamedTensors randomWeights(AimConfig config) {
        return NamedTensors.inMemory(Initializer.materialize(new Aim(config, true), 0));
    }

    /** One forward pass as a user's: every block, the post-trunk norm, the probe head, its first logit read back. */
    private static void forward(Aim aim, ByteBuffer pixels, int batch, Precision precision) {
        AimConfig c = aim.config();
        try (NDManager scope = NDManager.newBaseManager(); Autocast ignored = precision.scope()) {
            NDArray images = scope.create(pixels, new Shape(batch, c.channels(), c.imgSize()[0], c.imgSize()[1]), DataType.FLOAT32);
            NDList blocks = aim.extractFeatures(images, -1, null);
            aim.postTrunkNorm(blocks.getLast());
            // Read as float32: under bf16 autocast the logits are bf16, which DJL cannot read.
            Aten.toType(aim.classify(aim.averageProbeFeatures(blocks)), DataType.FLOAT32).getFloat(0, 0);
        }
    }
}
