package ai.aim4j.cli;

import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.arrow.Manifest;
import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.arrow.source.ImageSource;
import ai.aim4j.arrow.source.Slice;
import ai.aim4j.data.Sources;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
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

    @Override
    public Integer call() throws Exception {
        Encoding encoding = encode == null ? null : switch (encode) {
            case "raw" -> Encoding.RAW;
            case "png" -> Encoding.PNG;
            default -> throw new IllegalArgumentException("--encode takes raw or png, not '" + encode + "'");
        };
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("from", from);
        params.put("split", split);
        params.put("shards", shards);
        params.put("encode", encode == null ? "source" : encode);
        params.put("seed", seed);
        if (range != null) {
            params.put("range", range);
        }
        long start = System.nanoTime();
        try (ImageSource whole = Sources.open(from, split, seed); ImageSource src = range == null ? whole : slice(whole); Progress p = Progress.start("shard " + split, src.size(), "img")) {
            Manifest m = DatasetWriter.write(src, out, shards, encoding, params, p::stepTo);
            long bytes = m.shards().stream().mapToLong(Manifest.Shard::bytes).sum();
            p.close();
            System.out.printf("wrote %s: %,d %s images in %d shards (%s, %.1f MB), %d classes, %.1f s%n", out, m.rows(), m.split(),
                    m.shards().size(), m.encoding(), bytes / 1e6, m.classNames().size(), (System.nanoTime() - start) / 1e9);
        }
        return 0;
    }

    private ImageSource slice(ImageSource whole) {
        String[] ends = range.split(":", -1);
        try {
            if (ends.length == 2) {
                return new Slice(whole, Long.parseLong(ends[0].strip()), Long.parseLong(ends[1].strip()), split);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--range takes FROM:TO (two integers), not '" + range + "'");
    }
}
