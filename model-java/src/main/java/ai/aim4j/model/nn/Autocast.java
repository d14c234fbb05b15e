package ai.aim4j.model.nn;

import ai.aim4j.model.aten.Aten;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Mixed precision with PyTorch's CPU autocast policy, for the code run inside a scope
 * ({@code try (Autocast a = Autocast.to(DataType.BFLOAT16)) { ... }}, as {@code with torch.autocast(...)}),
 * with one exception: the trunk's attention.
 *
 * <p>The operands of the matrix products (every linear map, the patch embedding, the probe's
 * attention pooling) are cast to the lower type, and their results stay in it; every other
 * operation runs in the type of its inputs, where PyTorch's promotion makes a mix float32. So the
 * parameters (the master weights), their gradients and the optimizer stay float32; the residual
 * streams of the trunk and of the pixel head stay float32 (each begins with a float32 position table
 * and its sums promote), hence the norms that read them; the loss is float32 (its targets are); GELU,
 * fed only by a bf16 product, runs in bf16, exactly as under autocast. The casts are recorded by
 * autograd, so the gradients reach the float32 parameters.
 *
 * <p>The exception: autocast runs {@code scaled_dot_product_attention} in bf16, and libtorch's bf16
 * flash-attention backward is 4x slower than its float32 one at AIM's shapes (64 tokens, head width
 * 64, on AMX: 22 against 5.6 ms a call; PyTorch 2.11's likewise, 20.5 against 3.6 ms), a quarter of a
 * bf16 training step, while the forward kernels run at about the same speed in both types. So the
 * trunk's attention takes its q, k and v {@link #widened widened} back to float32 and runs in float32
 * with the float32 mask; the output projection lowers its result again.
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

    /**
     * An input of the one operation the scope keeps in float32 (attention, see above): {@code t}
     * itself outside a scope or when it is not of the lower type, else {@code t} cast to float32,
     * owned by {@code owner}.
     */
    public static NDArray widened(NDArray t, NDManager owner) {
        DataType lower = LOWER.get();
        if (lower == null || Aten.dataType(t) != lower) {
            return t;
        }
        NDArray wide = Aten.toType(t, DataType.FLOAT32);
        wide.attach(owner);
        return wide;
    }

    @Override
    public void close() {
        LOWER.set(outer);
    }
}
