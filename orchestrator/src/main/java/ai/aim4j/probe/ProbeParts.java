package ai.aim4j.probe;

import ai.aim4j.arrow.DatasetInfo;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.model.config.AimConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongToIntFunction;

/**
 * The three parts of a probe's data, featurized once: the training part and the held-out part,
 * both from the training split and told apart by a hash of the sample id (stable across runs and
 * shardings), and the test split. Optionally stored as Arrow feature shards and reused by a later
 * run on the same trunk, data and split rules.
 */
final class ProbeParts {
    private static final List<String> NAMES = List.of("train", "held-out", "test");

    /** Computes features of a dataset into caches by route (see {@link FeatureCache#compute}). */
    interface Extractor {
        FeatureCache[] apply(ShardSet data, LongToIntFunction route, long[] limits);
    }

    private ProbeParts() {}

    /** About {@code fraction} of the training split, chosen by a hash of the sample id. */
    static boolean isHeldOut(long id, double fraction) {
        long h = (id + 0x9E3779B97F4A7C15L) * 0xBF58476D1CE4E5B9L;
        h ^= h >>> 31;
        return Math.floorMod(h, 10_000) < fraction * 10_000;
    }

    /** Training part (empty when {@code trainPart} is false: augmentation streams its own), held-out part and test split. */
    static FeatureCache[] compute(ProbeSettings s, ShardSet train, ShardSet test, PrintStream log, Extractor extract, boolean trainPart) {
        log.printf("features: computing, from %s and %s...%n", train.location(), test.location());
        long heldLimit = Math.max(1, (long) Math.ceil(Math.min(s.trainLimit(), train.size()) * s.holdout() / (1 - s.holdout())));
        FeatureCache[] parts = extract.apply(train, id -> isHeldOut(id, s.holdout()) ? 1 : 0,
                new long[] {trainPart ? s.trainLimit() : 0, heldLimit});
        FeatureCache eval = extract.apply(test, id -> 0, new long[] {s.testLimit()})[0];
        return new FeatureCache[] {parts[0], parts[1], eval};
    }

    /**
     * What the cached features depend on: the trunk (a weights file by its path, size and time, a
     * random one by its name), geometry and probe layers, the data and the split rules.
     */
    static Map<String, Object> cacheKey(AimConfig config, Path file, String trunk, ShardSet train, ShardSet test, ProbeSettings s)
            throws IOException {
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("trunk", file == null ? trunk : file + " " + Files.size(file) + " bytes, modified " + Files.getLastModifiedTime(file));
        key.put("config", config.toJson().toString());
        key.put("train", train.location() + " " + train.size());
        key.put("test", test.location() + " " + test.size());
        key.put("holdout", s.holdout());
        key.put("train_limit", s.trainLimit());
        key.put("test_limit", s.testLimit());
        key.put("precision", s.precision().toString());
        return key;
    }

    /** The stored parts, or null unless all three match {@code key}. */
    static FeatureCache[] read(Path out, Map<String, Object> key) throws IOException {
        FeatureCache[] caches = new FeatureCache[NAMES.size()];
        for (int i = 0; i < caches.length; i++) {
            caches[i] = FeatureCache.read(out.resolve("features").resolve(NAMES.get(i)), key);
            if (caches[i] == null) {
                for (int j = 0; j < i; j++) {
                    caches[j].close();
                }
                return null;
            }
        }
        return caches;
    }

    static void write(FeatureCache[] caches, Path out, Map<String, Object> key, ShardSet train, ShardSet test) throws IOException {
        for (int i = 0; i < caches.length; i++) {
            ShardSet from = i < 2 ? train : test;
            caches[i].write(out.resolve("features").resolve(NAMES.get(i)),
                    new DatasetInfo(from.info().classNames(), NAMES.get(i), "features of " + from.location()), key);
        }
    }
}
