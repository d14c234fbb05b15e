package ai.aim4j.model.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * AIM's prefix-causal attention rule, with ml-aim's mask convention: {@code prefixMask[b, j] == true}
 * marks a token that is NOT in the prefix. Query {@code i} may attend key {@code j} iff
 * {@code j <= i} or {@code j} is in the prefix, so the prefix is bidirectional and the rest causal.
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
        return ai.djl.ndarray.NDArrays.where(allowed, zero, minusInf);
    }
}
