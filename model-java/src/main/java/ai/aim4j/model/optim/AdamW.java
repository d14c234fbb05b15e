package ai.aim4j.model.optim;

import ai.aim4j.model.aten.Aten;
import ai.aim4j.model.tensor.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.Predicate;

/**
 * AdamW as {@code torch.optim.AdamW(fused=True)} computes it, torch's fused kernel over all
 * parameters in one call per weight-decay group ({@link Aten#fusedAdamW}): decoupled decay
 * {@code p *= 1 - lr*wd} (decayed parameters only), {@code m = m b1 + g (1 - b1)},
 * {@code v = v b2 + g g (1 - b2)}, {@code p -= (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)},
 * with one step counter for all parameters. Its float32 results are within 2 ulps of the default
 * (foreach) {@code torch.optim.AdamW}, whose operation order differs. Moments live in the
 * optimizer's own memory and are saved with its state.
 */
public final class AdamW implements AutoCloseable {
    /** The hyperparameters other than the learning rate (which the schedule gives per step). */
    public record Hyper(double beta1, double beta2, double eps, double weightDecay) {
        /** The recipe: betas (0.9, 0.95), eps 1e-8, weight decay 0.05. */
        public static final Hyper RECIPE = new Hyper(0.9, 0.95, 1e-8, 0.05);
    }

    private final SequencedMap<String, NDArray> params;
    private final Hyper hyper;
    private final Predicate<String> decayed;
    private final NDManager manager = NDManager.newBaseManager();
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private long steps;

    /** AdamW over {@code params} (by name), zero moments; {@code decayed} says which get weight decay. */
    public AdamW(SequencedMap<String, NDArray> params, Hyper hyper, Predicate<String> decayed) {
        this.params = params;
        this.hyper = hyper;
        this.decayed = decayed;
        for (var e : params.entrySet()) {
            m.put(e.getKey(), manager.zeros(e.getValue().getShape(), e.getValue().getDataType()));
            v.put(e.getKey(), manager.zeros(e.getValue().getShape(), e.getValue().getDataType()));
        }
    }

    /** Updates made so far (torch's {@code step}, which the bias corrections use). */
    public long steps() {
        return steps;
    }

    /** Whether the named parameter is weight-decayed. */
    public boolean decays(String name) {
        return decayed.test(name);
    }

    /** One update of every parameter from its gradient (which must be set). */
    public void step(double lr) {
        steps++;
        try (NDManager scope = manager.newSubManager()) {
            NDArray step = scope.create((float) steps);
            for (boolean decay : new boolean[] {true, false}) {
                List<NDArray> group = new ArrayList<>();
                List<NDArray> grads = new ArrayList<>();
                List<NDArray> ms = new ArrayList<>();
                List<NDArray> vs = new ArrayList<>();
                for (var e : params.entrySet()) {
                    if (decayed.test(e.getKey()) == decay) {
                        NDArray g = e.getValue().getGradient();
                        g.attach(scope);
                        group.add(e.getValue());
                        grads.add(g);
                        ms.add(m.get(e.getKey()));
                        vs.add(v.get(e.getKey()));
                    }
                }
                if (!group.isEmpty()) {
                    Aten.fusedAdamW(group, grads, ms, vs, step, lr, hyper.beta1(), hyper.beta2(), decay ? hyper.weightDecay() : 0,
                            hyper.eps());
                }
            }
        }
    }

    /** Sets every gradient to zero (before accumulating the next step's). */
    public void zeroGradients() {
        params.values().forEach(InPlace::zeroGradient);
    }

    /** Moments by parameter name ({@code name.exp_avg}, {@code name.exp_avg_sq}) as host copies. */
    public SequencedMap<String, HostTensor> state() {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        for (String k : params.keySet()) {
            out.put(k + ".exp_avg", HostTensor.fromNDArray(m.get(k)));
            out.put(k + ".exp_avg_sq", HostTensor.fromNDArray(v.get(k)));
        }
        return out;
    }

    /** Restores moments and the step count saved by {@link #state()}. */
    public void load(Map<String, HostTensor> state, long steps) {
        for (String k : params.keySet()) {
            copyInto(m.get(k), state.get(k + ".exp_avg"), k + ".exp_avg");
            copyInto(v.get(k), state.get(k + ".exp_avg_sq"), k + ".exp_avg_sq");
        }
        this.steps = steps;
    }

    private void copyInto(NDArray target, HostTensor source, String name) {
        if (source == null || !Arrays.equals(source.shape(), target.getShape().getShape())) {
            throw new IllegalArgumentException("optimizer state " + name + " is missing or mis-shaped");
        }
        try (NDArray a = source.toNDArray(manager)) {
            target.set(new NDIndex("..."), a.toType(target.getDataType(), false));
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
