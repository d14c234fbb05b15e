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

    /**
     * This rank's share of the global stream, the epochs' permutations one after the other: from the
     * global position {@code start}, rank {@code r} takes positions {@code start + r},
     * {@code start + r + W}, ... So every {@code W} consecutive samples of the stream go one to each
     * rank, a global batch is the same samples whatever the world size, and the cursor after whole
     * rounds is one global position that any world size can resume from. With one rank it is
     * {@link #iterator}.
     */
    public Strided strided(Cursor start) {
        return new Strided(start);
    }

    /** See {@link #strided}; {@link #cursor()} is global, and the same on every rank after whole rounds. */
    public final class Strided implements SampleStream {
        private final long first;
        private long taken;
        private long cachedEpoch = -1;
        private int[] permutation;

        private Strided(Cursor start) {
            if (start.position() < 0 || start.position() > size) {
                throw new IllegalArgumentException("cursor position " + start.position() + " is outside the epoch of " + size);
            }
            this.first = Math.addExact(Math.multiplyExact(start.epoch(), size), start.position());
        }

        private long nextGlobal() {
            return first + rank + taken * world;
        }

        @Override
        public boolean hasNext() {
            return true;
        }

        @Override
        public long nextEpoch() {
            return nextGlobal() / size;
        }

        @Override
        public int next() {
            long g = nextGlobal();
            long epoch = g / size;
            if (epoch != cachedEpoch) {
                permutation = permutation(size, seed, epoch);
                cachedEpoch = epoch;
            }
            taken++;
            return permutation[(int) (g % size)];
        }

        @Override
        public Cursor cursor() {
            long g = first + taken * world;
            return new Cursor(g / size, g % size);
        }
    }

    /** Yields dataset indices; {@link #cursor()} is where it stands (saved in checkpoints). */
    public final class Iterator implements SampleStream {
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

        @Override
        public boolean hasNext() {
            return perEpoch() > 0;
        }

        @Override
        public long nextEpoch() {
            return cursor().epoch();
        }

        @Override
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

        @Override
        public Cursor cursor() {
            return position == perEpoch() ? new Cursor(epoch + 1, 0) : new Cursor(epoch, position);
        }
    }
}
