package ai.aim4j.model.nn;

import ai.aim4j.model.aten.Aten;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import java.util.List;

/**
 * Multi-head self-attention with ml-aim's fused {@code qkv} projection (rows q, then k, then v; the
 * output split as {@code (3, heads, head_dim)}), {@code softmax(q k^T * head_dim^-0.5 + mask) v} with an
 * optional additive mask (AIM's prefix-causal rule, see {@link ai.aim4j.model.PrefixCausalMask}),
 * computed by libtorch's fused scaled-dot-product attention.
 */
public final class Attention extends Layer {
    private final Linear qkv;
    private final Linear proj;
    private final int heads;

    public Attention(long dim, int heads, boolean bias) {
        this.qkv = layer("qkv", new Linear(dim, 3 * dim, bias, Init.XAVIER_UNIFORM, List.of("q", "k", "v")));
        this.proj = layer("proj", new Linear(dim, dim, bias));
        this.heads = heads;
    }

    /**
     * {@code x (B, N, D)}, {@code mask} null or additive {@code (B, 1, N, N)}; the output for every
     * token when {@code rows} is null, else at {@code rows} only ({@link TokenRows}): every token's keys
     * and values, the output projection only where it is read.
     */
    public NDArray forward(NDArray x, NDArray mask, NDArray rows) {
        long[] s = x.getShape().getShape();
        long b = s[0];
        long n = s[1];
        long d = s[2];
        long hd = d / heads;
        // Under autocast attention runs in float32 (see Autocast: the bf16 backward kernel is the slow one).
        // Split, not indexed: the gradient of a split is one concatenation, that of each index a zero-filled copy of all of qkv.
        NDList qkvParts = Autocast.widened(qkv.forward(x), x.getManager()).reshape(b, n, 3, heads, hd).split(3, 2);
        NDArray[] qkvHeads = new NDArray[3];
        for (int i = 0; i < 3; i++) {
            qkvHeads[i] = qkvParts.get(i).reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
        }
        NDArray heads = Aten.scaledDotProductAttention(qkvHeads[0], qkvHeads[1], qkvHeads[2], mask, 1.0 / Math.sqrt(hd));
        return proj.forward(TokenRows.select(heads.transpose(0, 2, 1, 3).reshape(b, n, d), rows));
    }
}
