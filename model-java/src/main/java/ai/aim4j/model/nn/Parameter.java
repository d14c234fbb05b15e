package ai.aim4j.model.nn;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;
import java.util.List;

/**
 * A tensor a layer declares: what it is, its shape, how it starts, and its value once the model is
 * bound to memory. The declaration is the only place a parameter's name, shape and initialization
 * are written; loading, strict checks, initialization and every checkpoint naming derive from it.
 */
public final class Parameter {
    private final Kind kind;
    private final Init init;
    private final long[] shape;
    private final boolean persistent;
    private final List<String> stackedParts;
    private NDArray value;

    /**
     * @param persistent   whether it belongs to the state dict (ml-aim inference derives its position
     *                     table instead of storing it)
     * @param stackedParts names of equal row blocks this tensor stacks (a fused {@code qkv} projection
     *                     is {@code q}, {@code k}, {@code v}), or empty
     */
    public Parameter(Kind kind, Init init, long[] shape, boolean persistent, List<String> stackedParts) {
        if (!stackedParts.isEmpty() && shape[0] % stackedParts.size() != 0) {
            throw new IllegalArgumentException(shape[0] + " rows do not split into " + stackedParts);
        }
        this.kind = kind;
        this.init = init;
        this.shape = shape.clone();
        this.persistent = persistent;
        this.stackedParts = List.copyOf(stackedParts);
    }

    public Kind kind() {
        return kind;
    }

    public Init init() {
        return init;
    }

    public long[] shape() {
        return shape.clone();
    }

    public boolean persistent() {
        return persistent;
    }

    public List<String> stackedParts() {
        return stackedParts;
    }

    /** Elements of the tensor. */
    public long numel() {
        return Arrays.stream(shape).reduce(1, Math::multiplyExact);
    }

    /** The bound value; a layer's forward pass reads its parameters through this. */
    public NDArray value() {
        if (value == null) {
            throw new IllegalStateException("parameter not bound to memory: load or create the model first");
        }
        return value;
    }

    void bind(NDArray array) {
        this.value = array;
    }
}
