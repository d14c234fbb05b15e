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
 *
 * <p>The keys and values are never formed. Both maps are linear and a head has a handful of queries
 * against hundreds of tokens, so by associativity, per head {@code h} with key and value rows
 * {@code W_k,h}, {@code W_v,h} ({@code hd x D}):
 * <pre>
 *   softmax(q_h (x W_k,h^T)^T / sqrt(hd)) (x W_v,h^T) = (softmax((q_h W_k,h) x^T / sqrt(hd)) x) W_v,h^T
 * </pre>
 * the same function, in {@code O(N D H Q)} per image instead of the key and value maps' {@code O(N D^2)}:
 * {@code D / (H Q)} times fewer operations (128x for aim-600M's head, 12 heads of one query at width
 * 1536), where a probe trained on cached features spends nearly all its time. Only the rounding
 * differs from ml-aim's order.
 */
public final class AttentionPoolingProbe extends Layer {
    private static final double MOMENTUM = 0.1;
    private final Parameter clsToken;
    private final Parameter keyWeight;
    private final Parameter valueWeight;
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
        this.keyWeight = parameter("k.weight", Kind.LINEAR_WEIGHT, Init.XAVIER_UNIFORM, d, d);
        this.valueWeight = parameter("v.weight", Kind.LINEAR_WEIGHT, Init.XAVIER_UNIFORM, d, d);
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
        NDArray centered;
        NDArray var;
        if (training) {
            NDArray mean = features.reshape(b * n, d).mean(new int[] {0});
            centered = features.sub(mean);
            var = centered.square().reshape(b * n, d).mean(new int[] {0});
            updateRunning(mean, var, b * n, scope);
        } else {
            centered = features.sub(runningMean.value());
            var = runningVar.value();
        }
        // BatchNorm's scale 1/sqrt(var + eps) is per channel: it goes onto the queried keys and the pooled
        // tokens (H Q rows each) instead of the (B, N, D) tokens.
        NDArray invStd = Scalars.of(centered, bnEps).add(var).sqrt().pow(-1);
        long queries = clsToken.value().getShape().get(1);
        // Per-call views of the parameters, handed to the caller's manager so the call leaves nothing
        // behind; autograd reaches the parameters through them. Every product is autocast's; the
        // softmax runs in the scores' type, as under torch.autocast.
        NDArray q = scoped(clsToken.value().reshape(queries, heads, hd), scope).transpose(1, 0, 2); // (H, Q, hd)
        NDArray wk = scoped(Autocast.operand(keyWeight.value(), scope).reshape(heads, hd, d), scope);
        NDArray wv = scoped(Autocast.operand(valueWeight.value(), scope).reshape(heads, hd, d), scope);
        NDArray queriedKeys = Autocast.operand(q, scope).matMul(wk).reshape(heads * queries, d); // rows q_h W_k,h
        NDArray keysRows = queriedKeys.mul(invStd).mul(Scalars.of(invStd, 1.0 / Math.sqrt(hd)));
        NDArray tokens = Autocast.operand(centered, scope);
        NDArray scores = tokens.matMul(Autocast.operand(keysRows, scope).transpose()); // (B, N, H Q)
        NDArray attn = Aten.softmax(scores, 1).transpose(0, 2, 1); // (B, H Q, N)
        // Heads leading, (H, B Q, D) against (H, D, hd): one product per head, no copy of W_v per image.
        NDArray pooledTokens = Autocast.operand(attn, scope).matMul(tokens).mul(invStd).reshape(b, heads, queries, d).transpose(1, 0, 2, 3)
                .reshape(heads, b * queries, d);
        NDArray pooled = Autocast.operand(pooledTokens, scope).matMul(wv.transpose(0, 2, 1)) // (H, B Q, hd)
                .reshape(heads, b, queries, hd).transpose(1, 2, 0, 3).reshape(b, queries, d).mean(new int[] {1});
        return linear.forward(pooled);
    }

    private static NDArray scoped(NDArray view, NDManager scope) {
        view.attach(scope);
        return view;
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
