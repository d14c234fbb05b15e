package ai.aim4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.SplittableRandom;

/**
 * AIM's prefix-causal attention: the rule, and how pre-training draws the prefixes.
 *
 * <p>The rule, with ml-aim's mask convention ({@code prefixMask[b, j] == true} marks a token NOT in
 * the prefix): query {@code i} may attend key {@code j} iff {@code j <= i} or {@code j} is in the
 * prefix, so the prefix is bidirectional and the rest causal.
 *
 * <p>The prefixes: per image a length {@code S} uniform in {@code [1, N-1]}, drawn from
 * {@code (seed, epoch, sample id)} alone, so a resumed run draws exactly the same prefixes and no
 * generator state needs saving.
 */
public final class PrefixCausalMask {
    private PrefixCausalMask() {}

    /** The rule as booleans {@code (B, 1, N, N)}, true = may attend. */
    public static NDArray allowed(NDArray prefixMask) {
        NDManager m = prefixMask.getManager();
        long b = prefixMask.getShape().get(0);
        long n = prefixMask.getShape().get(1);
        NDArray idx = m.arange(0, (int) n, 1, DataType.INT64);
        NDArray causal = idx.reshape(1, n).lte(idx.reshape(n, 1)); // [i, j] = j <= i
        NDArray inPrefix = prefixMask.logicalNot().reshape(b, 1, 1, n);
        return inPrefix.logicalOr(causal.reshape(1, 1, n, n));
    }

    /** The additive form {@code (B, 1, N, N)}: 0 where allowed, -inf elsewhere, in {@code type}. */
    public static NDArray additive(NDArray prefixMask, DataType type) {
        NDArray allowed = allowed(prefixMask);
        NDManager m = prefixMask.getManager();
        // DJL's where does not broadcast: give both branches the mask's full shape.
        NDArray zero = m.zeros(allowed.getShape(), type);
        NDArray minusInf = m.full(allowed.getShape(), Float.NEGATIVE_INFINITY, type);
        return NDArrays.where(allowed, zero, minusInf);
    }

    /** The prefix length of one sample: uniform in {@code [1, tokens - 1]}. */
    public static int sampleLength(long seed, long epoch, long id, int tokens) {
        SplittableRandom r = new SplittableRandom(seed * 0xD1B54A32D192ED03L ^ (epoch + 1) * 0x9E3779B97F4A7C15L ^ (id + 1) * 0xBF58476D1CE4E5B9L);
        return 1 + r.nextInt(tokens - 1);
    }

    /** The prefix mask of a batch, row-major {@code (B, N)}: true = not in the prefix. */
    public static boolean[] sample(long seed, long[] epochs, long[] ids, int tokens) {
        boolean[] m = new boolean[ids.length * tokens];
        for (int b = 0; b < ids.length; b++) {
            int s = sampleLength(seed, epochs[b], ids[b], tokens);
            for (int j = s; j < tokens; j++) {
                m[b * tokens + j] = true;
            }
        }
        return m;
    }
}
