package ai.aim4j.data;

import ai.aim4j.arrow.ShardSchema.Encoding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code aim4j shard} is asked to do.
 *
 * @param from   the source spec ({@link Sources})
 * @param out    the output folder (one split)
 * @param shards number of shard files
 * @param split  the split to read and record
 * @param encode {@code raw}, {@code png}, or null for the source's own form
 * @param seed   seed of the synthetic source
 * @param range  {@code FROM:TO} (0-based, TO excluded, ids kept), or null for the whole split
 */
public record ShardSettings(String from, Path out, int shards, String split, String encode, long seed, String range) {
    public ShardSettings {
        if (encode != null && !encode.equals("raw") && !encode.equals("png")) {
            throw new IllegalArgumentException("--encode takes raw or png, not '" + encode + "'");
        }
        if (shards < 1) {
            throw new IllegalArgumentException("--shards must be positive");
        }
        if (range != null) {
            bounds(range);
        }
    }

    /** The encoding asked for, or null for the source's own. */
    public Encoding encoding() {
        return encode == null ? null : encode.equals("raw") ? Encoding.RAW : Encoding.PNG;
    }

    /** {@code [from, to)} of {@link #range()}. */
    public long[] rangeBounds() {
        return bounds(range);
    }

    private static long[] bounds(String range) {
        String[] ends = range.split(":", -1);
        try {
            if (ends.length == 2) {
                return new long[] {Long.parseLong(ends[0].strip()), Long.parseLong(ends[1].strip())};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("--range takes FROM:TO (two integers), not '" + range + "'");
    }

    /** What the manifest records as the run's parameters. */
    public Map<String, Object> recorded() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("from", from);
        params.put("split", split);
        params.put("shards", shards);
        params.put("encode", encode == null ? "source" : encode);
        params.put("seed", seed);
        if (range != null) {
            params.put("range", range);
        }
        return params;
    }

    /** The equivalent {@code aim4j} command line. */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>(List.of("shard", "--from", from, "--split", split, "--out", out.toString(),
                "--shards", Integer.toString(shards), "--seed", Long.toString(seed)));
        if (encode != null) {
            args.addAll(List.of("--encode", encode));
        }
        if (range != null) {
            args.addAll(List.of("--range", range));
        }
        return args;
    }
}
