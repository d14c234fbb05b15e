package ai.aim4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;

/**
 * The positions the next-patch loss scores: token {@code i} of image {@code b} predicts patch
 * {@code i + 1}, which counts only when it is not in the prefix. Under AIM's uniform prefixes about
 * half the tokens are scored, so pre-training runs the layers after the last attention on those rows
 * alone (see {@link AimPretraining#loss}); the others' predictions would be multiplied by zero.
 *
 * @param rows      the scored tokens as rows {@code b * N + i} of the flattened {@code (B * N, D)} trunk output
 * @param targets   their target patches, rows {@code b * N + i + 1} of the flattened patches
 * @param positions their positions {@code i} in the image (for position tables)
 */
public record ScoredPositions(NDArray rows, NDArray targets, NDArray positions) {

    /**
     * The scored positions of a {@code (B, N)} prefix mask (true = not in the prefix), as int64 index
     * arrays of {@code manager}.
     *
     * @throws IllegalArgumentException when every prefix covers its whole image (nothing to score)
     */
    public static ScoredPositions of(NDArray prefixMask, NDManager manager) {
        long[] shape = prefixMask.getShape().getShape();
        int b = Math.toIntExact(shape[0]);
        int n = Math.toIntExact(shape[1]);
        boolean[] notPrefix = prefixMask.toBooleanArray();
        long[] rows = new long[b * (n - 1)];
        long[] targets = new long[rows.length];
        long[] positions = new long[rows.length];
        int count = 0;
        for (int s = 0; s < b; s++) {
            for (int i = 0; i + 1 < n; i++) {
                if (notPrefix[s * n + i + 1]) {
                    rows[count] = (long) s * n + i;
                    targets[count] = rows[count] + 1;
                    positions[count++] = i;
                }
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("no non-prefix target in the batch: every prefix covers its whole image");
        }
        return new ScoredPositions(manager.create(Arrays.copyOf(rows, count)), manager.create(Arrays.copyOf(targets, count)),
                manager.create(Arrays.copyOf(positions, count)));
    }

    /** How many positions are scored. */
    public long count() {
        return rows.getShape().get(0);
    }
}
