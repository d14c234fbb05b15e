package ai.aim4j.arrow;

import java.util.NoSuchElementException;

/**
 * A finite stream of given dataset indices, all of epoch 0: one pass over chosen samples (a rank's
 * share of an evaluation). After the last one the loader's batches are empty.
 */
public final class ListedSamples implements SampleStream {
    private final int[] indices;
    private int next;

    public ListedSamples(int[] indices) {
        this.indices = indices.clone();
    }

    @Override
    public boolean hasNext() {
        return next < indices.length;
    }

    @Override
    public long nextEpoch() {
        return 0;
    }

    @Override
    public int next() {
        if (next == indices.length) {
            throw new NoSuchElementException("all " + indices.length + " listed samples were delivered");
        }
        return indices[next++];
    }

    @Override
    public Sampler.Cursor cursor() {
        return new Sampler.Cursor(0, next);
    }
}
