package ai.aim4j.model.nn;

import ai.aim4j.model.aten.Aten;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Mixed precision with PyTorch's CPU autocast policy, for the code run inside a scope
 * ({@code try (Autocast a = Autocast.to(DataType.BFLOAT16)) { ... }}, as {@code with torch.autocast(...)}).
 *
 * <p>The operands of the matrix products (every linear map, the patch embedding, attention, the
 * probe's attention pooling) are cast to the lower type, and their results stay in it; every other
 * operation runs in the type of its inputs, where PyTorch's promotion makes a mix float32. So the
 * parameters (the master weights), their gradients and the optimizer stay float32; the trunk's
 * residual stream stays float32 (float32 position embeddings and residual sums), hence the norms
 * that read it and the softmax statistics of the fused attention (kept in float32 inside the
 * kernel); the loss is float32 (its targets are); GELU and the pixel head's residual stream, fed
 * only by bf16 products, run in bf16, exactly as under autocast. The casts are recorded by autograd,
 * so the gradients reach the float32 parameters.
 *
 * <p>The scope belongs to the thread that opened it and nests; closing it restores the outer one.
 */
public final class Autocast implements AutoCloseable {
    private static final ThreadLocal<DataType> LOWER = new ThreadLocal<>();

    private final DataType outer;

    private Autocast(DataType lower) {
        this.outer = LOWER.get();
        LOWER.set(lower);
    }

    /**
     * A scope whose matrix products run in {@code lower} (bfloat16; null: none, plain float32).
     *
     * @throws IllegalArgumentException for a type that is not a lower floating type
     */
    public static Autocast to(DataType lower) {
        if (lower != null && lower != DataType.BFLOAT16 && lower != DataType.FLOAT16) {
            throw new IllegalArgumentException("autocast lowers to bfloat16 or float16, not " + lower);
        }
        return new Autocast(lower);
    }

    /** The lower type of the current scope, or null outside any. */
    public static DataType lower() {
        return LOWER.get();
    }

    /**
     * An operand of a matrix product: {@code t} itself outside a scope (and when already lowered or
     * not floating point), else {@code t} cast to the lower type, owned by {@code owner} (the
     * caller's per-call manager, so a cast of a parameter is freed with the call's other tensors).
     */
    public static NDArray operand(NDArray t, NDManager owner) {
        DataType lower = LOWER.get();
        if (t == null || lower == null) {
            return t;
        }
        DataType type = Aten.dataType(t);
        if (type == lower || !type.isFloating()) {
            return t;
        }
        NDArray cast = Aten.toType(t, lower);
        cast.attach(owner);
        return cast;
    }

    @Override
    public void close() {
        LOWER.set(outer);
    }
}
