package ai.aim4j.arrow;

import java.util.SplittableRandom;

/**
 * Deterministic, resumable sample order across ranks. Each epoch has one global permutation of the
 * dataset, a function of {@code (seed, epoch)} only, and the epochs' permutations one after another
 * make the global stream. Rank {@code r} of {@code W} takes positions {@code r, r + W, r + 2W, ...}
 * of the stream from where it starts, so every {@code W} consecutive samples go one to each rank:
 * a global batch is the same samples whatever the world size, every sample is delivered exactly
 * once per epoch across the ranks, with no padding and no drops. A {@link Cursor} names the next
 * position of the stream, so a resumed run, at any world size, continues with exactly the samples
 * an uninterrupted one would have seen next. The algorithm, step by step, is specified in
 * arrow-io/README.md ("Order: the algorithm"), which Python's {@code aim4j.data.order} follows too.
 */
public final class Sampler {
    private final long size;
    private final long seed;
    private final int rank;
    private final int world;

    /** A position of the global stream: position {@code position} of epoch {@code epoch}'s permutation. */
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

    /** This rank's endless share of the global stream from {@code start} (see the class comment). */
    public Strided strided(Cursor start) {
        return new Strided(start);
    }

    /** A rank's share of the stream; its {@link #cursor()} is global, and the same on every rank after whole rounds. */
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
}
