package ai.aim4j.data;

import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.arrow.Manifest;
import ai.aim4j.arrow.source.ImageSource;
import ai.aim4j.arrow.source.Slice;
import ai.aim4j.run.ProgressListener;
import java.io.IOException;

/** Writes a dataset as Arrow shards with a manifest: the engine of {@code aim4j shard}. */
public final class Sharding {
    private Sharding() {}

    /** Shards the source, reporting samples written. */
    public static Manifest run(ShardSettings s, ProgressListener progress) throws IOException {
        // One resource: a slice is a view that holds nothing of its own, and a source closed twice may refuse the second close.
        try (ImageSource whole = Sources.open(s.from(), s.split(), s.seed())) {
            ImageSource src = s.range() == null ? whole : new Slice(whole, s.rangeBounds()[0], s.rangeBounds()[1], s.split());
            progress.total("shard " + s.split(), src.size(), "img");
            return DatasetWriter.write(src, s.out(), s.shards(), s.encoding(), s.recorded(), progress::done);
        }
    }
}
