package ai.aim4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** The mask against the rule written as plain loops: query i sees key j iff j <= i or j is in the prefix. */
class PrefixCausalMaskTest {
    @Test
    void matchesTheRuleForEveryPrefixLength() {
        int n = 9;
        try (NDManager m = NDManager.newBaseManager()) {
            boolean[] flags = new boolean[n * n];
            for (int p = 1; p <= n; p++) {
                for (int j = 0; j < n; j++) {
                    flags[(p - 1) * n + j] = j >= p; // true = NOT in the prefix
                }
            }
            NDArray prefixMask = m.create(flags, new Shape(n, n));
            boolean[] allowed = PrefixCausalMask.allowed(prefixMask).toBooleanArray();
            float[] additive = PrefixCausalMask.additive(prefixMask, DataType.FLOAT32).toFloatArray();
            for (int b = 0; b < n; b++) {
                int prefix = b + 1;
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        boolean expected = j <= i || j < prefix;
                        int idx = (b * n + i) * n + j;
                        assertEquals(expected, allowed[idx], "prefix " + prefix + " query " + i + " key " + j);
                        assertEquals(expected ? 0f : Float.NEGATIVE_INFINITY, additive[idx]);
                    }
                }
            }
        }
    }
}
