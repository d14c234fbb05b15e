package ai.aim4j.model.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * ml-aim's attention-pooling classifier: BatchNorm over channels without affine (running statistics
 * in eval mode; batch statistics in training mode, updating the running ones with momentum 0.1 as
 * PyTorch does); keys and values by bias-free linears; the learned {@code cls_token} used directly as
 * the queries; one softmax attention per head; heads concatenated, averaged over the queries, and a
 * bias-free linear to the logits.
 */
public final class AttentionPoolingProbe {
    private static final double MOMENTUM = 0.1;
    private final NDArray clsToken;
    private final Linear k;
    private final Linear v;
    private final Linear linear;
    private final NDArray runningMean;
    private final NDArray runningVar;
    private final int heads;
    private final double bnEps;
    private long batchesTracked;

    public AttentionPoolingProbe(Params p, int heads, double bnEps) {
        this.clsToken = p.get("cls_token");
        this.k = new Linear(p.at("k"));
        this.v = new Linear(p.at("v"));
        this.linear = new Linear(p.at("linear"));
        this.runningMean = p.get("bn.running_mean");
        this.runningVar = p.get("bn.running_var");
        this.heads = heads;
        this.bnEps = bnEps;
    }

    /** Averaged block features {@code (B, N, D)} to logits {@code (B, classes)}, in eval mode. */
    public NDArray forward(NDArray features) {
        return forward(features, false);
    }

    /**
     * Logits; in training mode BatchNorm normalizes with the batch's statistics over {@code (B, N)}
     * and moves the running ones ({@code var} unbiased, as PyTorch). Every derived tensor belongs to
     * the features' manager, so a call leaves nothing behind in the head's own.
     */
    public NDArray forward(NDArray features, boolean training) {
        NDManager scope = features.getManager();
        long[] s = features.getShape().getShape();
        long b = s[0];
        long n = s[1];
        long d = s[2];
        long hd = d / heads;
        NDArray x;
        if (training) {
            NDArray mean = features.reshape(b * n, d).mean(new int[] {0});
            NDArray centered = features.sub(mean);
            NDArray var = centered.square().reshape(b * n, d).mean(new int[] {0});
            x = centered.div(var.add(bnEps).sqrt());
            updateRunning(mean, var, b * n, scope);
        } else {
            // Scope-owned operands first: a result belongs to its left operand's manager.
            NDArray invStd = scope.create(bnEps).toType(features.getDataType(), false).add(runningVar).sqrt().pow(-1);
            x = features.sub(runningMean).mul(invStd);
        }
        long queries = clsToken.getShape().get(1);
        // The queries split into heads, (1, H, hd, Q): built per call so autograd reaches cls_token,
        // and handed to the caller's manager so the call leaves nothing behind.
        NDArray split = clsToken.reshape(1, queries, heads, hd);
        split.attach(scope);
        NDArray q = split.transpose(0, 2, 3, 1);
        NDArray keys = k.forward(x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
        NDArray values = v.forward(x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
        // Scores as (B, H, N, Q) so the activation is the left operand (its manager owns the result).
        NDArray attn = keys.mul(1.0 / Math.sqrt(hd)).matMul(q).softmax(2).transpose(0, 1, 3, 2); // (B, H, Q, N)
        NDArray pooled = attn.matMul(values).transpose(0, 2, 1, 3).reshape(b, queries, d).mean(new int[] {1});
        return linear.forward(pooled);
    }

    private void updateRunning(NDArray mean, NDArray var, long count, NDManager scope) {
        try (NDManager tmp = scope.newSubManager()) {
            NDArray m = mean.stopGradient();
            NDArray unbiased = var.stopGradient();
            m.attach(tmp);
            unbiased.attach(tmp);
            NDArray keep = tmp.create(1 - MOMENTUM).toType(runningMean.getDataType(), false);
            NDArray newMean = keep.mul(runningMean).add(m.mul(MOMENTUM));
            NDArray newVar = keep.mul(runningVar).add(unbiased.mul(MOMENTUM * (double) count / Math.max(count - 1, 1)));
            runningMean.set(new ai.djl.ndarray.index.NDIndex("..."), newMean);
            runningVar.set(new ai.djl.ndarray.index.NDIndex("..."), newVar);
        }
        batchesTracked++;
    }

    /** Training batches seen (PyTorch's {@code num_batches_tracked}) since this head was built. */
    public long batchesTracked() {
        return batchesTracked;
    }
}
