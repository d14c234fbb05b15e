package ai.aim4j.probe;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.Aim;
import ai.aim4j.model.AimConfig;
import ai.aim4j.model.AimWeights;
import ai.aim4j.model.Initializer;
import ai.aim4j.model.SoftmaxRegression;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.train.ModelInput;
import ai.aim4j.weights.SafeTensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Attentive probing, honestly: features of the frozen trunk are cached for a training part, a
 * held-out part carved out of the training split (by sample id) and the test split; a grid of heads
 * trains side by side; the grid point is chosen on the held-out part; the test accuracy of that
 * choice is what is reported (with the whole grid for reference). The best head is saved with
 * ml-aim's key names.
 */
public final class ProbeEngine {
    /** What a probe run is asked to do. */
    public record Settings(Path out, int epochs, int batch, List<ProbeTrainer.GridPoint> grid, double holdout, long trainLimit,
                           long testLimit, long seed, int threads, boolean cacheFeatures, String augment) {
        /** Whether the training part is augmented (and so streamed through the trunk). */
        public boolean augmented() {
            return !augment.equals("none");
        }
    }

    private ProbeEngine() {}

    /** Runs the probe; {@code trunk} null means a randomly initialized trunk (the baseline), seeded. */
    public static ObjectNode run(AimConfig config, NamedTensors trunk, String trunkName, ShardSet train, ShardSet test, Settings s,
                                 PrintStream log) throws IOException {
        NamedTensors weights = trunk != null ? trunk
                : NamedTensors.inMemory(Initializer.materialize(config, AimWeights.Parts.TRUNK, s.seed()));
        long t0 = System.nanoTime();
        FeatureCache[] caches;
        if (s.augmented()) {
            return runAugmented(config, weights, trunkName, train, test, s, log);
        }
        Map<String, Object> key = cacheKey(config, trunkName, train, test, s);
        caches = s.cacheFeatures() ? readCaches(s.out(), key) : null;
        if (caches == null) {
            try (Aim aim = Aim.load(config, weights, DataType.FLOAT32, trunkName, true)) {
                caches = caches(s, train, test, config, log, (data, route, limits) -> FeatureCache.compute(aim, data,
                        ModelInput.transform(config, data, "none", false), route, limits, 256, s.threads()), true);
            }
            if (s.cacheFeatures()) {
                writeCaches(caches, s.out(), key, train, test);
            }
        } else {
            log.printf("features: reusing the cache in %s%n", s.out().resolve("features"));
        }
        return train(caches, trunkName, config, s, (System.nanoTime() - t0) / 1e9, log,
                () -> new ProbeTrainer(config, s.grid(), s.seed(), 0.05), null);
    }

    /**
     * With augmentation every training image is new each time it is seen, so the trunk runs per batch
     * (once for all heads); the held-out and test parts are still featurized once, without augmentation.
     */
    private static ObjectNode runAugmented(AimConfig config, NamedTensors weights, String trunkName, ShardSet train, ShardSet test, Settings s,
                                           PrintStream log) throws IOException {
        try (Aim aim = Aim.load(config, weights, DataType.FLOAT32, trunkName, true)) {
            long t0 = System.nanoTime();
            FeatureCache[] caches = caches(s, train, test, config, log, (data, route, limits) -> FeatureCache.compute(aim, data,
                    ModelInput.transform(config, data, "none", false), route, limits, 256, s.threads()), false);
            double featureSeconds = (System.nanoTime() - t0) / 1e9;
            int deepest = java.util.Arrays.stream(config.probeLayers()).max().orElseThrow();
            return train(caches, trunkName, config, s, featureSeconds, log, () -> new ProbeTrainer(config, s.grid(), s.seed(), 0.05),
                    trainer -> {
                        long size = Math.min(train.size(), s.trainLimit());
                        long total = (long) Math.ceil((double) s.epochs() * size / s.batch());
                        var schedules = trainer.schedules(total);
                        try (BatchLoader loader = new BatchLoader(train, new ai.aim4j.arrow.Sampler(train.size(), s.seed(), 0, 1),
                                new ai.aim4j.arrow.Sampler.Cursor(0, 0), s.batch(), ModelInput.transform(config, train, s.augment(), true),
                                s.seed(), s.threads(), 2, false, w -> log.println("aim4j: " + w))) {
                            for (long step = 0; step < total; step++) {
                                try (Batch b = loader.next(); NDManager scope = NDManager.newBaseManager()) {
                                    int[] keep = java.util.stream.IntStream.range(0, b.size())
                                            .filter(i -> !isHeldOut(b.ids()[i], s.holdout())).toArray();
                                    if (keep.length == 0) {
                                        continue;
                                    }
                                    int[] sh = b.shape();
                                    NDArray x = scope.create(b.buffer(), new Shape(sh[0], sh[1], sh[2], sh[3]), DataType.FLOAT32)
                                            .get(new NDIndex("{}", scope.create(java.util.Arrays.stream(keep).asLongStream().toArray())));
                                    int[] labels = java.util.Arrays.stream(keep).map(i -> b.labels()[i]).toArray();
                                    NDArray features = aim.averageProbeFeatures(aim.extractFeatures(x, deepest, null));
                                    trainer.step(features, scope.create(labels), schedules, step);
                                }
                            }
                        }
                    });
        }
    }

    /** The raw-pixel baseline: softmax regression on the model's normalized input pixels, same splits and protocol. */
    public static ObjectNode runPixels(AimConfig config, ShardSet train, ShardSet test, Settings s, PrintStream log) throws IOException {
        long t0 = System.nanoTime();
        FeatureCache[] caches = caches(s, train, test, config, log, (data, route, limits) -> FeatureCache.pixels(data,
                ModelInput.transform(config, data, "none", false), route, limits, 256, s.threads()), true);
        int[] chw = ModelInput.transform(config, train, "none", false).outputShape();
        return train(caches, "raw pixels (softmax regression)", config, s, (System.nanoTime() - t0) / 1e9, log,
                () -> new ProbeTrainer(s.grid(), 0.05, () -> new SoftmaxRegression(chw[0] * chw[1] * chw[2], config.numClasses())), null);
    }

    private static final String[] PARTS = {"train", "held-out", "test"};

    /** What the cached features depend on: trunk, geometry and probe layers, the data and the split rules. */
    private static Map<String, Object> cacheKey(AimConfig config, String trunk, ShardSet train, ShardSet test, Settings s) throws IOException {
        Map<String, Object> key = new java.util.LinkedHashMap<>();
        Path t = Path.of(trunk);
        key.put("trunk", trunk + (Files.isRegularFile(t) ? " " + Files.size(t) + " bytes, modified " + Files.getLastModifiedTime(t) : ""));
        key.put("config", config.toJson().toString());
        key.put("train", train.location().toString() + " " + train.size());
        key.put("test", test.location().toString() + " " + test.size());
        key.put("holdout", s.holdout());
        key.put("train_limit", s.trainLimit());
        key.put("test_limit", s.testLimit());
        return key;
    }

    private static FeatureCache[] readCaches(Path out, Map<String, Object> key) throws IOException {
        FeatureCache[] caches = new FeatureCache[PARTS.length];
        for (int i = 0; i < PARTS.length; i++) {
            caches[i] = FeatureCache.read(out.resolve("features").resolve(PARTS[i]), key);
            if (caches[i] == null) {
                for (int j = 0; j < i; j++) {
                    caches[j].close();
                }
                return null;
            }
        }
        return caches;
    }

    private static void writeCaches(FeatureCache[] caches, Path out, Map<String, Object> key, ShardSet train, ShardSet test) throws IOException {
        for (int i = 0; i < PARTS.length; i++) {
            ShardSet from = i < 2 ? train : test;
            caches[i].write(out.resolve("features").resolve(PARTS[i]),
                    new ai.aim4j.arrow.DatasetInfo(from.info().classNames(), PARTS[i], "features of " + from.location()), key);
        }
    }

    /** Computes features of a dataset into caches by route. */
    private interface Extractor {
        FeatureCache[] apply(ShardSet data, java.util.function.LongToIntFunction route, long[] limits);
    }

    /** Training part (unless streamed), held-out part (both from the training split, by id) and test split. */
    private static FeatureCache[] caches(Settings s, ShardSet train, ShardSet test, AimConfig config, PrintStream log, Extractor extract,
                                         boolean trainPart) {
        log.printf("features: computing, from %s and %s...%n", train.location(), test.location());
        long heldLimit = Math.max(1, (long) Math.ceil(Math.min(s.trainLimit(), train.size()) * s.holdout() / (1 - s.holdout())));
        FeatureCache[] parts = extract.apply(train, id -> isHeldOut(id, s.holdout()) ? 1 : 0,
                new long[] {trainPart ? s.trainLimit() : 0, heldLimit});
        FeatureCache eval = extract.apply(test, id -> 0, new long[] {s.testLimit()})[0];
        return new FeatureCache[] {parts[0], parts[1], eval};
    }

    /** Training that does not use the cached training part (augmentation streams its own images). */
    private interface Streamed {
        void train(ProbeTrainer trainer) throws IOException;
    }

    /** Trains ({@code streamed} null: on the cached training part), then evaluates, chooses and saves. */
    private static ObjectNode train(FeatureCache[] caches, String trunkName, AimConfig config, Settings s, double featureSeconds,
                                    PrintStream log, java.util.function.Supplier<ProbeTrainer> trainers, Streamed streamed) throws IOException {
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
                        log.printf("probe: epoch %d of %d done (%d head(s), %.0f s)%n", step / perEpoch, s.epochs(), trainer.size(),
                                (System.nanoTime() - t1) / 1e9);
                    }
                });
            } else {
                streamed.train(trainer);
            }
            double trainSeconds = (System.nanoTime() - t1) / 1e9;
            List<double[]> onHeld = trainer.evaluate(held, 512);
            List<double[]> onTest = trainer.evaluate(eval, 512);
            int best = 0;
            for (int k = 1; k < trainer.size(); k++) {
                if (onHeld.get(k)[0] > onHeld.get(best)[0]) {
                    best = k;
                }
            }
            ObjectNode result = new ObjectMapper().createObjectNode();
            result.put("trunk", trunkName).put("probe_layers", java.util.Arrays.toString(config.probeLayers()))
                    .put("train_images", fit.rows()).put("augment", s.augment()).put("held_out_images", held.rows())
                    .put("test_images", eval.rows())
                    .put("epochs", s.epochs()).put("batch_size", s.batch()).put("feature_seconds", featureSeconds)
                    .put("train_seconds", trainSeconds).put("train_images_per_s_all_heads", (double) fit.rows() * s.epochs() / trainSeconds);
            ArrayNode grid = result.putArray("grid");
            for (int k = 0; k < trainer.size(); k++) {
                grid.addObject().put("lr", trainer.point(k).lr()).put("weight_decay", trainer.point(k).weightDecay())
                        .put("held_out_top1", onHeld.get(k)[0]).put("held_out_loss", onHeld.get(k)[1])
                        .put("test_top1", onTest.get(k)[0]).put("test_loss", onTest.get(k)[1]);
            }
            result.set("best", grid.get(best).deepCopy());
            Files.createDirectories(s.out());
            SafeTensors.write(s.out().resolve("head.safetensors"), trainer.head(best).stateDict(),
                    Map.of("format", "pt", "aim4j_config", config.toJson().toString()));
            AtomicFiles.writeString(s.out().resolve("results.json"), result.toPrettyString() + "\n");
            return result;
        }
    }

    /** About {@code fraction} of the training split, chosen by a hash of the sample id (stable across runs and shardings). */
    static boolean isHeldOut(long id, double fraction) {
        long h = (id + 0x9E3779B97F4A7C15L) * 0xBF58476D1CE4E5B9L;
        h ^= h >>> 31;
        return Math.floorMod(h, 10_000) < fraction * 10_000;
    }
}
