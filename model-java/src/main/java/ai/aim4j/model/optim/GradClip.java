package ai.aim4j.model.optim;

import ai.aim4j.model.aten.Aten;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Collection;
import java.util.List;

/**
 * Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_}: the norm of the per-tensor
 * L2 norms, {@code coef = min(1, maxNorm / (norm + 1e-6))} rounded as torch rounds it, every gradient scaled by it in place (in
 * one call, as torch's {@code _foreach_mul_}; not at all when it is 1, which changes nothing).
 */
public final class GradClip {
    private GradClip() {}

    /** The global norm (float32 arithmetic as torch's) and the coefficient applied. */
    public record Result(double norm, double coef) {}

    /** The global L2 norm of the gradients, without changing them. */
    public static double norm(Collection<NDArray> grads) {
        try (NDArray total = totalNorm(grads); NDArray wide = total.toType(DataType.FLOAT64, true)) {
            return wide.getDouble();
        }
    }

    /** As torch: the vector norm of the stacked per-tensor norms. */
    private static NDArray totalNorm(Collection<NDArray> grads) {
        try (NDManager scope = NDManager.newBaseManager()) {
            NDList norms = new NDList(grads.size());
            for (NDArray g : grads) {
                NDArray n = g.norm();
                n.attach(scope);
                norms.add(n);
            }
            NDArray stacked = NDArrays.stack(norms);
            stacked.attach(scope);
            NDArray total = stacked.norm();
            total.attach(grads.iterator().next().getManager());
            return total;
        }
    }

    /** Clips in place; {@code maxNorm <= 0} only measures. */
    public static Result clip(Collection<NDArray> grads, double maxNorm) {
        double total;
        boolean single;
        try (NDArray t = totalNorm(grads)) {
            single = t.getDataType() == DataType.FLOAT32;
            total = single ? t.getFloat() : t.getDouble();
        }
        if (maxNorm <= 0) {
            return new Result(total, 1.0);
        }
        // torch: clamp(max_norm / (total + 1e-6), max=1) in the gradients' precision, where a number divided
        // by a tensor is the tensor's reciprocal times the number (Tensor.__rtruediv__): one rounding more
        // than a division, a unit in the last place apart for some norms unless max_norm is 1. Java float
        // arithmetic is the same IEEE single precision.
        double coef = single ? Math.min(1f, 1f / ((float) total + 1e-6f) * (float) maxNorm) : Math.min(1.0, 1.0 / (total + 1e-6) * maxNorm);
        // A coefficient of 1 leaves every gradient as it is (x * 1 == x, NaN and infinities included): no pass over them.
        if (coef != 1.0) {
            Aten.scaleInPlace(List.copyOf(grads), coef);
        }
        return new Result(total, coef);
    }
}
