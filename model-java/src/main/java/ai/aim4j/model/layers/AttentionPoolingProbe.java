package ai.aim4j.model.layers;

import ai.djl.ndarray.NDArray;

/**
 * ml-aim's attention-pooling classifier in eval mode: BatchNorm over channels with running statistics
 * and no affine; keys and values by bias-free linears; the learned {@code cls_token} used directly as
 * the queries; one softmax attention per head; heads concatenated, averaged over the queries, and a
 * bias-free linear to the logits.
 */
public final class AttentionPoolingProbe {
    private final NDArray queries;
    private final Linear k;
    private final Linear v;
    private final Linear linear;
    private final NDArray bnMean;
    private final NDArray bnInvStd;
    private final int heads;

    public AttentionPoolingProbe(Params p, int heads, double bnEps) {
        NDArray clsToken = p.get("cls_token");
        long d = clsToken.getShape().get(2);
        long q = clsToken.getShape().get(1);
        // The queries split into heads, (1, H, hd, Q), prepared once: built per call, they would be
        // attached to the parameters' manager and outlive the call.
        this.queries = clsToken.reshape(1, q, heads, d / heads).transpose(0, 2, 3, 1);
        this.k = new Linear(p.at("k"));
        this.v = new Linear(p.at("v"));
        this.linear = new Linear(p.at("linear"));
        this.bnMean = p.get("bn.running_mean");
        // (x - mean) / sqrt(var + eps), with the reciprocal computed once at load.
        this.bnInvStd = p.get("bn.running_var").add(bnEps).sqrt().pow(-1);
        this.heads = heads;
    }

    /** Averaged block features {@code (B, N, D)} to logits {@code (B, classes)}. */
    public NDArray forward(NDArray features) {
        long[] s = features.getShape().getShape();
        long b = s[0];
        long n = s[1];
        long d = s[2];
        long hd = d / heads;
        long numQueries = queries.getShape().get(3);
        NDArray x = features.sub(bnMean).mul(bnInvStd);
        NDArray keys = k.forward(x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
        NDArray values = v.forward(x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
        // Scores as (B, H, N, Q) so the activation is the left operand (its manager owns the result).
        NDArray attn = keys.mul(1.0 / Math.sqrt(hd)).matMul(queries).softmax(2).transpose(0, 1, 3, 2); // (B, H, Q, N)
        NDArray pooled = attn.matMul(values).transpose(0, 2, 1, 3).reshape(b, numQueries, d).mean(new int[] {1});
        return linear.forward(pooled);
    }
}
