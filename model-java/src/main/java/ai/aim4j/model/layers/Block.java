package ai.aim4j.model.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/** A pre-norm transformer block: {@code x + attn(norm_1(x))}, then {@code x + mlp(norm_2(x))}. */
public final class Block {
    private final LayerNorm norm1;
    private final Attention attn;
    private final LayerNorm norm2;
    private final Mlp mlp;

    public Block(Params p, int heads, double eps) {
        this.norm1 = new LayerNorm(p.at("norm_1"), eps);
        this.attn = new Attention(p.at("attn"), heads);
        this.norm2 = new LayerNorm(p.at("norm_2"), eps);
        this.mlp = new Mlp(p.at("mlp"));
    }

    /** Frees the block's intermediate tensors as soon as it returns; only the output survives. */
    public NDArray forward(NDArray x, NDArray mask) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray h = x.add(attn.forward(norm1.forward(x), mask));
            NDArray out = h.add(mlp.forward(norm2.forward(h)));
            NDScope.unregister(out);
            return out;
        }
    }
}
