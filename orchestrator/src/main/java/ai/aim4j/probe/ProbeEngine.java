package ai.aim4j.probe;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.data.BatchTensors;
import ai.aim4j.data.ModelInput;
import ai.aim4j.dist.Collectives;
import ai.aim4j.dist.LeadDecision;
import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.probe.ProbeHead;
import ai.aim4j.model.probe.SoftmaxRegression;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.weights.SafeTensors;
import ai.aim4j.weights.WeightFiles;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Attentive probing, honestly: features of the frozen trunk are cached for a training part, a
 * held-out part carved out of the training split (by sample id) and the test split; a grid of heads
 * trains side by side; the grid point is chosen on the held-out part; the test accuracy of that
 * choice is what is reported (with the whole grid for reference). The best head is saved with
 * ml-aim's key names ({@code OUT/head.safetensors}), the numbers as {@code OUT/results.json}.
 */
public final class ProbeEngine {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Warmup of the probe's learning-rate schedule, as a fraction of its steps. */
    private static final double WARMUP = 0.05;
    private static final int FEATURE_BATCH = 256;
    private static final int EVAL_BATCH = 512;

    private ProbeEngine() {}

    /**
     * Runs the probe; {@code log} gets progress lines. Over several ranks the trunk's passes (the
     * features of every part) are split between them, and the lead trains the heads, evaluates and
     * writes; it returns the result, the other ranks null.
     */
    public static ProbeResult run(ProbeSettings s, Collectives comm, PrintStream log) throws IOException {
        if (!comm.isLead()) {
            log = new PrintStream(OutputStream.nullOutputStream());
        }
        NamedTensors weights = s.trunk() instanceof ProbeSettings.Trunk.Weights w ? WeightFiles.read(w.file()) : null;
        // Every pass of the trunk and the heads runs on this thread, so one scope sets their precision.
        try (ShardSet train = ShardSet.open(s.data()); ShardSet test = ShardSet.open(s.valData()); Autocast ignored = s.precision().scope()) {
            AimConfig config = ModelSpecs.trunk(s.model(), weights).withNumClasses(Math.max(2, train.info().classNames().size()));
            if (s.probeLayers() != null) {
                config = config.withProbeLayers(config.resolveProbeLayers(s.probeLayers()));
            }
            return switch (s.trunk()) {
                case ProbeSettings.Trunk.Pixels p -> pixels(config, train, test, s, comm, log);
                case ProbeSettings.Trunk.Weights w -> trunk(config, weights, w.file(), w.file().toString(), train, test, s, comm, log);
                case ProbeSettings.Trunk.Random r -> trunk(config, NamedTensors.inMemory(Initializer.materialize(new Aim(config, false), s.seed())),
                        null, "random (seed " + s.seed() + ")", train, test, s, comm, log);
            };
        } finally {
            if (weights != null) {
                weights.close();
            }
        }
    }

    private static ProbeResult trunk(AimConfig config, NamedTensors weights, Path file, String name, ShardSet train, ShardSet test,
                                     ProbeSettings s, Collectives comm, PrintStream log) throws IOException {
        Supplier<ProbeTrainer> heads = () -> new ProbeTrainer(s.grid(), WARMUP, () -> ProbeHead.init(config, s.seed()));
        long t0 = System.nanoTime();
        if (s.augmented()) {
            try (Aim aim = Aim.load(config, weights, DataType.FLOAT32, name, true)) {
                FeatureCache[] caches = ProbeParts.compute(s, train, test, log, trunkFeatures(aim, config, s, comm), false);
                PrintStream out = log;
                return train(caches, name, config, s, seconds(t0), comm, log, heads, trainer -> streamAugmented(aim, train, s, trainer, out));
            }
        }
        Map<String, Object> key = s.cacheFeatures() ? ProbeParts.cacheKey(config, file, name, train, test, s) : null;
        FeatureCache[][] stored = {null};
        boolean reuse = key != null && !LeadDecision.share(comm, () -> {
            stored[0] = ProbeParts.read(s.out(), key);
            return stored[0] == null ? "" : "reuse";
        }).isEmpty();
        FeatureCache[] caches;
        if (reuse) {
            if (!comm.isLead()) {
                return null;
            }
            caches = stored[0];
            log.printf("features: reusing the cache in %s%n", s.out().resolve("features"));
        } else {
            try (Aim aim = Aim.load(config, weights, DataType.FLOAT32, name, true)) {
                caches = ProbeParts.compute(s, train, test, log, trunkFeatures(aim, config, s, comm), true);
            }
            if (key != null && comm.isLead()) {
                ProbeParts.write(caches, s.out(), key, train, test);
            }
        }
        return train(caches, name, config, s, seconds(t0), comm, log, heads, null);
    }

    private static ProbeParts.Extractor trunkFeatures(Aim aim, AimConfig config, ProbeSettings s, Collectives comm) {
        return (data, route, limits) -> FeatureCache.compute(aim, data, ModelInput.transform(config, data, "none", false), route, limits,
                FEATURE_BATCH, BatchTensors.loaderThreads(), comm);
    }

    /** The raw-pixel baseline: softmax regression on the model's normalized input pixels, same splits and protocol. */
    private static ProbeResult pixels(AimConfig config, ShardSet train, ShardSet test, ProbeSettings s, Collectives comm, PrintStream log)
            throws IOException {
        long t0 = System.nanoTime();
        FeatureCache[] caches = ProbeParts.compute(s, train, test, log, (data, route, limits) -> FeatureCache.pixels(data,
                ModelInput.transform(config, data, "none", false), route, limits, FEATURE_BATCH, BatchTensors.loaderThreads(), comm), true);
        int[] chw = ModelInput.transform(config, train, "none", false).outputShape();
        return train(caches, "raw pixels (softmax regression)", config, s, seconds(t0), comm, log,
                () -> new ProbeTrainer(s.grid(), WARMUP, () -> new SoftmaxRegression(chw[0] * chw[1] * chw[2], config.numClasses())), null);
    }

    /** Training that does not use the cached training part (augmentation streams its own images). */
    private interface Streamed {
        void train(ProbeTrainer trainer) throws IOException;
    }

    /**
     * With augmentation every training image is new each time it is seen, so the trunk runs per batch
     * (once for all heads); the held-out and test parts are still featurized once, without augmentation.
     */
    private static void streamAugmented(Aim aim, ShardSet train, ProbeSettings s, ProbeTrainer trainer, PrintStream log) {
        long size = Math.min(train.size(), s.trainLimit());
        long total = (long) Math.ceil((double) s.epochs() * size / s.batch());
        var schedules = trainer.schedules(total);
        try (BatchLoader loader = new BatchLoader(train, new Sampler(train.size(), s.seed(), 0, 1).strided(new Sampler.Cursor(0, 0)), s.batch(),
                ModelInput.transform(aim.config(), train, s.augment(), true), s.seed(), BatchTensors.loaderThreads(), 2, false,
                w -> log.println("aim4j: " + w))) {
            for (long step = 0; step < total; step++) {
                try (Batch b = loader.next(); NDManager scope = NDManager.newBaseManager()) {
                    int[] keep = IntStream.range(0, b.size()).filter(i -> !ProbeParts.isHeldOut(b.ids()[i], s.holdout())).toArray();
                    if (keep.length == 0) {
                        continue;
                    }
                    NDArray x = BatchTensors.images(b, scope).get(new NDIndex("{}", scope.create(Arrays.stream(keep).asLongStream().toArray())));
                    int[] labels = Arrays.stream(keep).map(i -> b.labels()[i]).toArray();
                    trainer.step(aim.probeFeatures(x), scope.create(labels), schedules, step);
                }
            }
        }
    }

    /**
     * Trains ({@code streamed} null: on the cached training part), then evaluates, chooses and saves:
     * on the lead, which holds the gathered parts; the other ranks are done and return null.
     */
    private static ProbeResult train(FeatureCache[] caches, String trunkName, AimConfig config, ProbeSettings s, double featureSeconds,
                                     Collectives comm, PrintStream log, Supplier<ProbeTrainer> trainers, Streamed streamed) throws IOException {
        if (!comm.isLead()) {
            for (FeatureCache c : caches) {
                c.close();
            }
            return null;
        }
        FeatureCache fit = caches[0];
        FeatureCache held = caches[1];
        FeatureCache eval = caches[2];
        log.printf("features: %s, %d held-out, %d test images (%.1f s)%n", streamed == null ? fit.rows() + " train"
                : "training images streamed through the trunk with augmentation", held.rows(), eval.rows(), featureSeconds);
        try (fit; held; eval; ProbeTrainer trainer = trainers.get()) {
            long t1 = System.nanoTime();
            if (streamed == null) {
                long perEpoch = (fit.rows() + s.batch() - 1) / s.batch();
                trainer.train(fit, s.epochs(), s.batch(), s.seed(), step -> {
                    if (step % perEpoch == 0) {
                        log.printf("probe: epoch %d of %d done (%d head(s), %.0f s)%n", step / perEpoch, s.epochs(), trainer.size(), seconds(t1));
                    }
                });
            } else {
                streamed.train(trainer);
            }
            double trainSeconds = seconds(t1);
            List<double[]> onHeld = trainer.evaluate(held, EVAL_BATCH);
            List<double[]> onTest = trainer.evaluate(eval, EVAL_BATCH);
            // A head whose held-out loss is not finite has diverged: its accuracy means nothing, and it is never the one chosen.
            int best = -1;
            List<ProbeResult.Point> grid = new ArrayList<>();
            for (int k = 0; k < trainer.size(); k++) {
                grid.add(new ProbeResult.Point(trainer.point(k).lr(), trainer.point(k).weightDecay(), onHeld.get(k)[0], onHeld.get(k)[1],
                        onTest.get(k)[0], onTest.get(k)[1]));
                if (Double.isFinite(onHeld.get(k)[1]) && (best < 0 || onHeld.get(k)[0] > onHeld.get(best)[0])) {
                    best = k;
                }
            }
            if (best < 0) {
                throw new IllegalStateException("every head of the grid diverged (its held-out loss is not finite): try a smaller --lr;"
                        + " nothing was written");
            }
            ProbeResult result = new ProbeResult(trunkName, Arrays.toString(config.probeLayers()), fit.rows(), s.augment(), held.rows(),
                    eval.rows(), s.epochs(), s.batch(), featureSeconds, trainSeconds, (double) fit.rows() * s.epochs() / trainSeconds, grid,
                    grid.get(best));
            Files.createDirectories(s.out());
            SafeTensors.write(s.out().resolve("head.safetensors"), trainer.head(best).stateDict(),
                    Map.of("format", "pt", ModelSpecs.STORED_CONFIG, config.toJson().toString()));
            AtomicFiles.writeString(s.out().resolve("results.json"), JSON.writeValueAsString(result) + "\n");
            return result;
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
