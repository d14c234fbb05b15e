package ai.aim4j.model.nn;

import ai.aim4j.model.aten.Aten;
import ai.djl.ndarray.NDArray;

/**
 * Some tokens of a batch as rows: where only some positions' outputs are read (the pre-training loss
 * scores about half of them), the position-wise layers after the last attention run on those rows alone.
 */
public final class TokenRows {
    private TokenRows() {}

    /**
     * The tokens of {@code x (B, N, D)} at rows {@code b * N + i} of its flattening, as {@code (M, D)};
     * {@code x} itself when {@code rows} is null (every token).
     *
     * @param rows null, or int64 row indices {@code (M)}
     */
    public static NDArray select(NDArray x, NDArray rows) {
        if (rows == null) {
            return x;
        }
        return Aten.indexSelect(x.reshape(-1, x.getShape().getLastDimension()), 0, rows);
    }
}
