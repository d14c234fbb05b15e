package ai.aim4j.model.nn;

import ai.aim4j.model.tensor.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.Predicate;

/**
 * The root of a layer tree bound to memory: a model, or a head trained on its own. It owns the
 * manager its parameters live in, and the checkpoint memory they may share.
 */
public abstract class Model extends Layer implements AutoCloseable {
    /** How bound tensors relate to the checkpoint's memory. */
    public enum Binding {
        /**
         * Tensors already of the model's type share the checkpoint's memory (a mapped file is not
         * copied); for inference, which never writes its weights.
         */
        SHARED,
        /**
         * Copies in memory of the model's own, trainable ones recording gradients; for training,
         * which updates them in place.
         */
        OWNED
    }

    private NDManager manager;
    private AutoCloseable owner;
    private DataType dtype;

    /**
     * Checks {@code tensors} strictly against the tree ({@link StateDict#check}) and binds every
     * parameter: to its tensor, or, for one a checkpoint may leave out or never stores, to its
     * initial value.
     *
     * @param source   what the tensors came from, for errors
     * @param accepted keys the model accepts without using them
     * @param owner    what keeps the tensors' memory alive, closed with the model; null when nothing does
     */
    protected final void bind(Map<String, HostTensor> tensors, String source, Predicate<String> accepted, DataType dtype,
                              Binding binding, AutoCloseable owner) {
        if (manager != null) {
            throw new IllegalStateException("the model is already bound");
        }
        StateDict.check(this, tensors, source, modelName(), accepted);
        NDManager m = NDManager.newBaseManager();
        try {
            namedParameters().forEach((name, p) -> {
                HostTensor t = p.persistent() ? tensors.get(name) : null;
                if (t == null) {
                    if (!(p.init() instanceof Init.Table || p.init() instanceof Init.Constant)) {
                        throw new IllegalStateException(name + " has no value and no deterministic initial one");
                    }
                    t = Initializer.initial(name, p, 0);
                }
                NDArray a = toModel(t, m, p.kind() == Kind.BATCH_COUNT ? DataType.INT64 : dtype, binding);
                if (binding == Binding.OWNED && p.kind().trainable()) {
                    a.setRequiresGradient(true);
                }
                p.bind(a);
            });
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        this.manager = m;
        this.owner = owner;
        this.dtype = dtype;
    }

    private static NDArray toModel(HostTensor t, NDManager m, DataType type, Binding binding) {
        NDArray shared = t.toNDArray(m);
        if (binding == Binding.SHARED && shared.getDataType() == type) {
            return shared;
        }
        // DJL's toType to the same type returns an alias of its source: duplicate() is the real copy.
        NDArray own = shared.getDataType() == type ? shared.duplicate() : shared.toType(type, true);
        shared.close();
        return own;
    }

    /** The model's name in error messages. */
    protected abstract String modelName();

    /** The element type of the floating-point parameters. */
    public final DataType dtype() {
        return dtype;
    }

    /** The trainable parameters by state-dict name, as the optimizer updates them in place. */
    public final SequencedMap<String, NDArray> trainableParameters() {
        SequencedMap<String, NDArray> out = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> {
            if (p.kind().trainable()) {
                out.put(name, p.value());
            }
        });
        return out;
    }

    /** Host copies of every persistent tensor, in declaration order. */
    public final SequencedMap<String, HostTensor> stateDict() {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> {
            if (p.persistent()) {
                out.put(name, HostTensor.fromNDArray(p.value()));
            }
        });
        return out;
    }

    /** Arrays the model's own manager holds: constant while the model is used (a leak check). */
    public final int liveArrays() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
        if (owner != null) {
            try {
                owner.close();
            } catch (Exception e) {
                throw new IllegalStateException("could not release the checkpoint's memory", e);
            }
        }
    }
}
