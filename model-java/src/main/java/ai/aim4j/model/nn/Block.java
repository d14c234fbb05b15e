package ai.aim4j.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/** A pre-norm transformer block: {@code x + attn(norm_1(x))}, then {@code x + mlp(norm_2(x))}. */
public final class Block extends Layer {
    private final Attention attn;
    private final LayerNorm norm1;
    private final Mlp mlp;
    private final LayerNorm norm2;

    /** Declared in ml-aim's state-dict order: attention, first norm, MLP, second norm. */
    public Block(long dim, int heads, long mlpHidden, boolean bias, double eps) {
        this.attn = layer("attn", new Attention(dim, heads, bias));
        this.norm1 = layer("norm_1", new LayerNorm(dim, eps));
        this.mlp = layer("mlp", new Mlp(dim, mlpHidden, bias));
        this.norm2 = layer("norm_2", new LayerNorm(dim, eps));
    }

    /**
     * The block's output: {@code (B, N, D)} for every token when {@code rows} is null, else {@code (M, D)}
     * at {@code rows} only ({@link TokenRows}; keys and values still come from every token). Frees the
     * block's intermediate tensors as soon as it returns; only the output survives.
     */
    public NDArray forward(NDArray x, NDArray mask, NDArray rows) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray h = TokenRows.select(x, rows).add(attn.forward(norm1.forward(x), mask, rows));
            NDArray out = h.add(mlp.forward(norm2.forward(h)));
            NDScope.unregister(out);
            return out;
        }
    }
}
