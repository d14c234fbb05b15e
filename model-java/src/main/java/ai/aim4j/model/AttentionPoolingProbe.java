package ai.aim4j.model;

import ai.aim4j.model.aten.Aten;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.nn.Init;
import ai.aim4j.model.nn.Kind;
import ai.aim4j.model.nn.Layer;
import ai.aim4j.model.nn.Linear;
import ai.aim4j.model.nn.Parameter;
import ai.aim4j.model.nn.Scalars;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.List;

/**
 * ml-aim's attention-pooling classifier: BatchNorm over channels without affine (running statistics
 * in eval mode; batch statistics in training mode, updating the running ones with momentum 0.1 as
 * PyTorch does); keys and values by bias-free linears; the learned {@code cls_token} used directly as
 * the queries; one softmax attention per head; heads concatenated, averaged over the queries, and a
 * bias-free linear to the logits.
 */
public final class AttentionPoolingProbe extends Layer {
    private static final double MOMENTUM = 0.1;
    private final Parameter clsToken;
    private final Linear k;
    private final Linear v;
    private final Linear linear;
    private final Parameter runningMean;
    private final Parameter runningVar;
    private final Parameter batchesTracked;
    private final int heads;
    private final double bnEps;

    /** Declared in ml-aim's state-dict order: query, keys, values, classifier, BatchNorm buffers. */
    public AttentionPoolingProbe(AimConfig c) {
        long d = c.dim();
        this.clsToken = parameter("cls_token", Kind.QUERY, new Init.Normal(0.02), 1, c.headQueries(), d);
        this.k = layer("k", new Linear(d, d, false));
        this.v = layer("v", new Linear(d, d, false));
        this.linear = layer("linear", new Linear(d, c.numClasses(), false));
        this.runningMean = parameter("bn.running_mean", Kind.RUNNING_MEAN, Init.ZEROS, d);
        this.runningVar = parameter("bn.running_var", Kind.RUNNING_VAR, Init.ONES, d);
        this.batchesTracked = register("bn.num_batches_tracked", new Parameter(Kind.BATCH_COUNT, Init.ZEROS, new long[0], true, List.of()));
        this.heads = c.headHeads();
        this.bnEps = c.batchNormEps();
    }

    /**
     * Averaged block features {@code (B, N, D)} to logits {@code (B, classes)}. In training mode
     * BatchNorm normalizes with the batch's statistics over {@code (B, N)} and moves the running ones
     * ({@code var} unbiased, as PyTorch). Every derived tensor belongs to the features' manager, so a
     * call leaves nothing behind in the model's own.
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
            NDArray invStd = scope.create(bnEps).toType(features.getDataType(), false).add(runningVar.value()).sqrt().pow(-1);
            x = features.sub(runningMean.value()).mul(invStd);
        }
        long queries = clsToken.value().getShape().get(1);
        // The queries split into heads, (1, H, hd, Q): built per call so autograd reaches cls_token,
        // and handed to the caller's manager so the call leaves nothing behind.
        NDArray split = clsToken.value().reshape(1, queries, heads, hd);
        split.attach(scope);
        NDArray q = split.transpose(0, 2, 3, 1);
        NDArray keys = k.forward(x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
        NDArray values = v.forward(x).reshape(b, n, heads, hd).transpose(0, 2, 1, 3);
        // Scores as (B, H, N, Q) so the activation is the left operand (its manager owns the result).
        // Both products are autocast's; the softmax runs in the scores' type, as under torch.autocast.
        NDArray scores = keys.mul(Scalars.of(keys, 1.0 / Math.sqrt(hd))).matMul(Autocast.operand(q, scope));
        NDArray attn = Aten.softmax(scores, 2).transpose(0, 1, 3, 2); // (B, H, Q, N)
        NDArray pooled = Autocast.operand(attn, scope).matMul(values).transpose(0, 2, 1, 3).reshape(b, queries, d).mean(new int[] {1});
        return linear.forward(pooled);
    }

    private void updateRunning(NDArray mean, NDArray var, long count, NDManager scope) {
        try (NDManager tmp = scope.newSubManager()) {
            NDArray m = mean.stopGradient();
            NDArray unbiased = var.stopGradient();
            m.attach(tmp);
            unbiased.attach(tmp);
            NDArray keep = tmp.create(1 - MOMENTUM).toType(runningMean.value().getDataType(), false);
            NDArray newMean = keep.mul(runningMean.value()).add(m.mul(MOMENTUM));
            NDArray newVar = keep.mul(runningVar.value()).add(unbiased.mul(MOMENTUM * (double) count / Math.max(count - 1, 1)));
            runningMean.value().set(new NDIndex("..."), newMean);
            runningVar.value().set(new NDIndex("..."), newVar);
            batchesTracked.value().addi(tmp.create(1L));
        }
    }
}
