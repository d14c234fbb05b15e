package ai.aim4j.data;

import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.transform.Transform;
import java.util.function.Consumer;

/**
 * The loader pre-training reads from, wired in this one place so that whatever else streams
 * training batches ({@code aim4j stream}) delivers the trainer's batches, bit for bit, for the same
 * seed, rank, world and cursor.
 */
public final class TrainingBatches {
    /** Batches prepared ahead of the one being consumed. */
    private static final int PREFETCH = 4;

    private TrainingBatches() {}

    /**
     * A rank's share of the sampler's global stream from {@code from} on, in batches of
     * {@code batchSize}, each sample augmented by {@code transform} seeded with {@code (seed, epoch, id)}.
     *
     * @param threads decoding threads
     * @param warn    where undecodable samples are reported (they are skipped)
     */
    public static BatchLoader open(ShardSet data, Transform transform, long seed, int rank, int world, Sampler.Cursor from, int batchSize,
                                   int threads, Consumer<String> warn) {
        return new BatchLoader(data, new Sampler(data.size(), seed, rank, world).strided(from), batchSize, transform, seed, threads, PREFETCH,
                false, warn);
    }
}
