package ai.aim4j.probe;

import ai.aim4j.arrow.Sampler;
import ai.aim4j.model.aten.Aten;
import ai.aim4j.model.optim.AdamW;
import ai.aim4j.model.optim.DecayGroups;
import ai.aim4j.model.optim.GradClip;
import ai.aim4j.model.optim.LrSchedule;
import ai.aim4j.model.probe.ClassifierHead;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * Trains a grid of attention-pooling heads side by side on cached features: every batch is gathered
 * once and each head (its own learning rate and weight decay) takes a step on it. AdamW (0.9, 0.999),
 * warmup then cosine, gradient clipping at 3.0, cross-entropy without label smoothing; BatchNorm in
 * training mode during training. Biases and norms are not decayed (the head has neither; its
 * {@code cls_token} is decayed like a weight, as ml-aim's recipe).
 */
public final class ProbeTrainer implements AutoCloseable {
    /** One grid point. */
    public record GridPoint(double lr, double weightDecay) {}

    /** A grid point's head and optimizer. */
    private record Member(GridPoint point, ClassifierHead head, AdamW optimizer) {}

    private final List<Member> members = new ArrayList<>();
    private final double warmupFraction;

    /** Heads made by {@code heads}, one per grid point, trained with the probe's AdamW (0.9, 0.999) on a warmup + cosine schedule. */
    public ProbeTrainer(List<GridPoint> grid, double warmupFraction, Supplier<ClassifierHead> heads) {
        this.warmupFraction = warmupFraction;
        for (GridPoint g : grid) {
            ClassifierHead head = heads.get();
            members.add(new Member(g, head, new AdamW(head.trainableParameters(), new AdamW.Hyper(0.9, 0.999, 1e-8, g.weightDecay()),
                    new DecayGroups(DecayGroups.RECIPE_EXCLUDES))));
        }
    }

    /** Trains every head for {@code epochs} over the cache, in a seeded order per epoch. */
    public void train(FeatureCache train, int epochs, int batch, long seed, LongConsumer progress) {
        int perEpoch = (train.rows() + batch - 1) / batch;
        List<LrSchedule> schedules = schedules((long) perEpoch * epochs);
        long step = 0;
        for (int epoch = 0; epoch < epochs; epoch++) {
            int[] order = Sampler.permutation(train.rows(), seed, epoch);
            for (int from = 0; from < order.length; from += batch) {
                int to = Math.min(order.length, from + batch);
                try (NDManager scope = NDManager.newBaseManager()) {
                    int[] y = new int[to - from];
                    for (int i = from; i < to; i++) {
                        y[i - from] = train.label(order[i]);
                    }
                    step(train.batch(order, from, to, scope), scope.create(y), schedules, step);
                }
                progress.accept(++step);
            }
        }
    }

    /** The schedules of the grid points over {@code total} steps. */
    public List<LrSchedule> schedules(long total) {
        return members.stream().map(m -> new LrSchedule(m.point().lr(), 0.0, 0.0, warmupFraction, total)).toList();
    }

    /** One step of every head on the same features {@code (B, N, D)} (computed once, without autograd). */
    public void step(NDArray x, NDArray labels, List<LrSchedule> schedules, long step) {
        for (int k = 0; k < members.size(); k++) {
            Member m = members.get(k);
            // Views of the batch in a manager of this head's own: its temporaries go before the next head's step.
            try (NDManager own = x.getManager().newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(crossEntropy(m.head().forward(viewIn(x, own), true), viewIn(labels, own)));
            }
            List<NDArray> grads = new ArrayList<>();
            m.head().trainableParameters().values().forEach(p -> grads.add(p.getGradient()));
            GradClip.clip(grads, 3.0);
            grads.forEach(NDArray::close);
            m.optimizer().step(schedules.get(k).at(step));
            m.optimizer().zeroGradients();
        }
    }

    private static NDArray viewIn(NDArray t, NDManager manager) {
        NDArray view = t.reshape(t.getShape());
        view.attach(manager);
        return view;
    }

    /**
     * Mean cross-entropy of logits {@code (B, K)} against integer labels; bf16 logits (under autocast)
     * widened to float32 first, as autocast computes a loss, and since DJL's own casts cannot name bf16.
     */
    static NDArray crossEntropy(NDArray logits, NDArray labels) {
        NDArray wide = Aten.dataType(logits) == DataType.BFLOAT16 ? Aten.toType(logits, DataType.FLOAT32) : logits;
        NDArray logp = wide.logSoftmax(1);
        NDArray onehot = labels.oneHot((int) logits.getShape().get(1)).toType(logp.getDataType(), false);
        return logp.mul(onehot).sum(new int[] {1}).neg().mean();
    }

    /** Top-1 accuracy and mean loss of every head on a cache (eval mode), in grid order. */
    public List<double[]> evaluate(FeatureCache data, int batch) {
        List<double[]> out = new ArrayList<>();
        int[] order = new int[data.rows()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        for (Member m : members) {
            long correct = 0;
            double loss = 0;
            for (int from = 0; from < order.length; from += batch) {
                int to = Math.min(order.length, from + batch);
                try (NDManager scope = NDManager.newBaseManager()) {
                    NDArray logits = m.head().forward(data.batch(order, from, to, scope), false);
                    int[] y = Arrays.copyOfRange(data.labels(), from, to);
                    NDArray labels = scope.create(y);
                    loss += crossEntropy(logits, labels).toType(DataType.FLOAT64, false).getDouble() * (to - from);
                    long[] pred = logits.argMax(1).toLongArray();
                    for (int i = 0; i < pred.length; i++) {
                        if (pred[i] == y[i]) {
                            correct++;
                        }
                    }
                }
            }
            out.add(new double[] {(double) correct / Math.max(order.length, 1), loss / Math.max(order.length, 1)});
        }
        return out;
    }

    public GridPoint point(int k) {
        return members.get(k).point();
    }

    public ClassifierHead head(int k) {
        return members.get(k).head();
    }

    public int size() {
        return members.size();
    }

    @Override
    public void close() {
        for (Member m : members) {
            m.optimizer().close();
            m.head().close();
        }
    }
}
