package ai.aim4j.arrow;

import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * Deterministic, resumable sample order across ranks. Each epoch has one global permutation of the
 * dataset, a function of {@code (seed, epoch)} only; rank {@code r} of {@code W} takes positions
 * {@code r, r + W, r + 2W, ...} of it. Every sample is delivered exactly once per epoch across the
 * ranks, with no padding and no drops: when {@code W} does not divide the size, the first
 * {@code size mod W} ranks get one sample more (a rank of a world larger than the dataset gets none,
 * and its batches are empty). A {@link Cursor} names the next sample to deliver, so
 * a resumed run continues with exactly the sample an uninterrupted one would have seen next.
 */
public final class Sampler {
    private final long size;
    private final long seed;
    private final int rank;
    private final int world;

    /** Where iteration stands: the next sample is position {@code position} of epoch {@code epoch}'s order. */
    public record Cursor(long epoch, long position) {}

    public Sampler(long size, long seed, int rank, int world) {
        if (size <= 0 || world < 1 || rank < 0 || rank >= world) {
            throw new IllegalArgumentException("sampler needs size > 0 and 0 <= rank < world (got size " + size + ", rank " + rank
                    + ", world " + world + ")");
        }
        if (size > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("datasets above 2^31 samples need a streaming permutation, not yet supported");
        }
        this.size = size;
        this.seed = seed;
        this.rank = rank;
        this.world = world;
    }

    /** The permutation of epoch {@code epoch}: a Fisher-Yates shuffle seeded by {@code (seed, epoch)}. */
    public static int[] permutation(long size, long seed, long epoch) {
        int n = (int) size;
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ (epoch + 1) * 0xC2B2AE3D27D4EB4FL);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** Samples this rank receives per epoch. */
    public long perEpoch() {
        return size / world + (rank < size % world ? 1 : 0);
    }

    /** This rank's dataset indices for one epoch, in delivery order. */
    public int[] epochOrder(long epoch) {
        int[] p = permutation(size, seed, epoch);
        int[] mine = new int[(int) perEpoch()];
        for (int k = 0; k < mine.length; k++) {
            mine[k] = p[rank + k * world];
        }
        return mine;
    }

    /** An endless iterator from {@code start}, crossing into later epochs as each one ends. */
    public Iterator iterator(Cursor start) {
        return new Iterator(start);
    }

    /** Yields dataset indices; {@link #cursor()} is where it stands (saved in checkpoints). */
    public final class Iterator {
        private long epoch;
        private long position;
        private int[] order;

        private Iterator(Cursor start) {
            if (start.position() < 0 || start.position() > perEpoch()) {
                throw new IllegalArgumentException("cursor position " + start.position() + " is outside the epoch of " + perEpoch());
            }
            this.epoch = start.epoch();
            this.position = start.position();
        }

        /** Whether this rank has samples at all (a rank of a world larger than the dataset may have none). */
        public boolean hasNext() {
            return perEpoch() > 0;
        }

        /** The next dataset index. */
        public int next() {
            if (perEpoch() == 0) {
                throw new NoSuchElementException("rank " + rank + " of " + world + " has no samples of a dataset of " + size);
            }
            if (position == perEpoch()) {
                epoch++;
                position = 0;
                order = null;
            }
            if (order == null) {
                order = epochOrder(epoch);
            }
            return order[(int) position++];
        }

        /** The cursor of the next sample. */
        public Cursor cursor() {
            return position == perEpoch() ? new Cursor(epoch + 1, 0) : new Cursor(epoch, position);
        }
    }
}
