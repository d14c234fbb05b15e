package ai.aim4j.arrow.source;

import ai.aim4j.arrow.DatasetInfo;
import ai.aim4j.arrow.ShardSchema.Encoding;
import java.io.IOException;

/** A dataset to shard: a fixed number of samples, read in index order. */
public interface ImageSource extends AutoCloseable {
    DatasetInfo info();

    long size();

    /** How {@link Sample#image()} holds the pixels. */
    Encoding encoding();

    /** {@code (H, W, C)} of raw samples; null for encoded ones. */
    int[] rawShape();

    /** Sample {@code index} (0-based). Called with increasing indices. */
    Sample get(long index) throws IOException;

    @Override
    default void close() throws IOException {}
}
