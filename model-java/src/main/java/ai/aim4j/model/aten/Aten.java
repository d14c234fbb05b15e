package ai.aim4j.model.aten;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;

/**
 * ATen operators DJL does not offer, called through libtorch's dispatcher ({@link Dispatcher}): the
 * one place of the model that names operators. Results belong to the first argument's manager
 * (where not said otherwise) and are recorded by autograd like DJL's own operations.
 */
public final class Aten {
    private static final Dispatcher.Op SDPA = Dispatcher.Op.of("aten::scaled_dot_product_attention", "");
    private static final Dispatcher.Op TO_DTYPE = Dispatcher.Op.of("aten::to", "dtype");
    private static final Dispatcher.Op SOFTMAX = Dispatcher.Op.of("aten::softmax", "int");
    private static final Dispatcher.Op INDEX_SELECT = Dispatcher.Op.of("aten::index_select", "");

    private Aten() {}

    /**
     * {@code softmax(q k^T * scale + mask) v} in one fused operator (on CPU the flash-attention kernel
     * and its fused backward), no dropout, not causal by itself.
     *
     * @param q    {@code (B, H, N, d)} queries; {@code k}, {@code v} alike
     * @param mask null, or an additive mask in {@code q}'s type (or booleans, true = may attend)
     *             broadcastable to {@code (B, H, N, N)}
     */
    public static NDArray scaledDotProductAttention(NDArray q, NDArray k, NDArray v, NDArray mask, double scale) {
        try (Dispatcher.Stack s = new Dispatcher.Stack(8)) {
            return s.tensor(q).tensor(k).tensor(v).optionalTensor(mask).real(0.0).bool(false).optionalReal(scale).bool(false)
                    .call(SDPA, q.getManager());
        }
    }

    /**
     * One AdamW step over every parameter as torch's fused kernel takes it: {@code p *= 1 - lr*wd},
     * {@code m = m*b1 + g*(1-b1)}, {@code v = v*b2 + g*g*(1-b2)},
     * {@code p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)}, in place, no gradient recorded.
     *
     * @param step the step count {@code t} after this step, a scalar tensor
     */
    public static void fusedAdamW(List<NDArray> params, List<NDArray> grads, List<NDArray> expAvgs, List<NDArray> expAvgSqs, NDArray step,
                                  double lr, double beta1, double beta2, double weightDecay, double eps) {
        TensorListOps.fusedAdamW(params, grads, expAvgs, expAvgSqs, step, lr, beta1, beta2, weightDecay, eps);
    }

    /** {@code t *= factor} for every tensor in one call, exactly as {@code t.mul_(factor)} each (the factor a double, as a Python float). */
    public static void scaleInPlace(List<NDArray> tensors, double factor) {
        if (tensors.isEmpty()) {
            return;
        }
        try (NDManager tmp = NDManager.newBaseManager(); NDArray f = tmp.create(factor)) {
            TensorListOps.mulInPlace(tensors, f);
        }
    }

    /**
     * {@code softmax(x)} along {@code axis}, in {@code x}'s type (DJL's own passes DJL's name of the
     * type to libtorch, which aborts the process for bfloat16).
     */
    public static NDArray softmax(NDArray x, int axis) {
        try (Dispatcher.Stack s = new Dispatcher.Stack(3)) {
            return s.tensor(x).integer(axis).none().call(SOFTMAX, x.getManager());
        }
    }

    /**
     * The slices of {@code x} at {@code index} along {@code axis}, in that order (its gradient adds back
     * into those slices). The result belongs to {@code index}'s manager: indices come with a batch,
     * while {@code x} may be a parameter, whose manager lives as long as the model.
     *
     * @param index int64 indices, one dimension
     */
    public static NDArray indexSelect(NDArray x, int axis, NDArray index) {
        try (Dispatcher.Stack s = new Dispatcher.Stack(3)) {
            return s.tensor(x).integer(axis).tensor(index).call(INDEX_SELECT, index.getManager());
        }
    }

    /** The type of {@code x}, bfloat16 included (which DJL reports as {@link DataType#UNKNOWN}). */
    public static DataType dataType(NDArray x) {
        return Dispatcher.dataType(x);
    }

    /** {@code x} converted to {@code type} (a floating type; bfloat16 included, which DJL's {@code toType} cannot make). */
    public static NDArray toType(NDArray x, DataType type) {
        try (Dispatcher.Stack s = new Dispatcher.Stack(5)) {
            return s.tensor(x).scalarType(type).bool(false).bool(false).none().call(TO_DTYPE, x.getManager());
        }
    }
}
