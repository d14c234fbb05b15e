package ai.aim4j.train;

import java.util.SplittableRandom;

/**
 * AIM's prefix lengths: per image, {@code S} uniform in {@code [1, N-1]}, the first {@code S} tokens
 * attending bidirectionally. Drawn from {@code (seed, epoch, sample id)} alone, so a resumed run
 * draws exactly the same lengths and no generator state needs saving.
 */
public final class PrefixLengths {
    private PrefixLengths() {}

    public static int draw(long seed, long epoch, long id, int tokens) {
        SplittableRandom r = new SplittableRandom(seed * 0xD1B54A32D192ED03L ^ (epoch + 1) * 0x9E3779B97F4A7C15L ^ (id + 1) * 0xBF58476D1CE4E5B9L);
        return 1 + r.nextInt(tokens - 1);
    }

    /** The mask of a batch, row-major {@code (B, N)}: true = not in the prefix (ml-aim's convention). */
    public static boolean[] mask(long seed, long[] epochs, long[] ids, int tokens) {
        boolean[] m = new boolean[ids.length * tokens];
        for (int b = 0; b < ids.length; b++) {
            int s = draw(seed, epochs[b], ids[b], tokens);
            for (int j = s; j < tokens; j++) {
                m[b * tokens + j] = true;
            }
        }
        return m;
    }
}
