package ai.aim4j.model.optim;

import ai.aim4j.model.tensor.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.Predicate;

/**
 * AdamW exactly as {@code torch.optim.AdamW} computes it, in the same operation order so float32
 * results agree to the bit: decoupled decay {@code p *= 1 - lr*wd} (decayed parameters only), then
 * {@code m += (g - m)(1 - b1)}, {@code v = v*b2 + ((1 - b2) g) g},
 * {@code p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)}, with one step counter for
 * all parameters. Moments live in the optimizer's own memory and are saved with its state.
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

    public AdamW(SequencedMap<String, NDArray> params, Hyper hyper, Predicate<String> decayed) {
        this.params = params;
        this.hyper = hyper;
        this.decayed = decayed;
        for (var e : params.entrySet()) {
            m.put(e.getKey(), manager.zeros(e.getValue().getShape(), e.getValue().getDataType()));
            v.put(e.getKey(), manager.zeros(e.getValue().getShape(), e.getValue().getDataType()));
        }
    }

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
        double bc1 = 1 - Math.pow(hyper.beta1(), steps);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(hyper.beta2(), steps));
        double stepSize = lr / bc1;
        for (var e : params.entrySet()) {
            String name = e.getKey();
            NDArray p = e.getValue();
            try (NDManager scope = manager.newSubManager()) {
                NDArray g = p.getGradient();
                g.attach(scope);
                if (decayed.test(name) && hyper.weightDecay() != 0) {
                    InPlace.scale(p, 1 - lr * hyper.weightDecay());
                }
                NDArray mt = m.get(name);
                NDArray delta = g.sub(mt);
                delta.attach(scope);
                mt.addi(delta.muli(1 - hyper.beta1()));
                NDArray vt = v.get(name);
                InPlace.scale(vt, hyper.beta2());
                NDArray gg = g.mul(1 - hyper.beta2());
                gg.attach(scope);
                vt.addi(gg.muli(g));
                NDArray denom = vt.sqrt();
                denom.attach(scope);
                denom.divi(bc2Sqrt).addi(hyper.eps());
                NDArray update = mt.div(denom);
                update.attach(scope);
                p.subi(update.muli(stepSize));
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
