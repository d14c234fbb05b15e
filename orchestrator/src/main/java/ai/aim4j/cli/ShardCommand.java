package ai.aim4j.cli;

import ai.aim4j.arrow.Manifest;
import ai.aim4j.data.ShardSettings;
import ai.aim4j.data.Sharding;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aim4j shard}: a dataset to Arrow shards plus a manifest. */
@Command(name = "shard", mixinStandardHelpOptions = true,
        description = "Write a dataset as Arrow IPC shards with a manifest (sizes, SHA-256). Sources: fashion-mnist[:DIR]"
                + " (default DIR /usr/share/datasets/fashion-mnist), imagefolder:DIR, npy:IMAGES.npy[,LABELS.npy], synthetic:N[,SIZE].")
final class ShardCommand implements Callable<Integer> {
    @Option(names = "--from", required = true, description = "the source")
    String from;

    @Option(names = "--out", required = true, description = "output folder (one split)")
    Path out;

    @Option(names = "--shards", defaultValue = "1", description = "number of shard files (default: ${DEFAULT-VALUE})")
    int shards;

    @Option(names = "--split", defaultValue = "train", description = "split to read and record (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--encode", description = "raw (pixels) or png (lossless, smaller); default: the source's own form")
    String encode;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the synthetic source (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--range", description = "only samples FROM:TO of the split (0-based, TO excluded), ids kept: e.g. a validation"
            + " part held out of a training split")
    String range;

    ShardSettings settings() {
        return new ShardSettings(from, out, shards, split, encode, seed, range);
    }

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        Manifest m;
        try (Progress p = new Progress()) {
            m = Sharding.run(settings(), p);
        }
        long bytes = m.shards().stream().mapToLong(Manifest.Shard::bytes).sum();
        System.out.printf("wrote %s: %,d %s images in %d shards (%s, %.1f MB), %d classes, %.1f s%n", out, m.rows(), m.split(),
                m.shards().size(), m.encoding(), bytes / 1e6, m.classNames().size(), (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
