package ai.aim4j.model.optim;

import ai.djl.ndarray.NDArray;
import java.util.Collection;

/**
 * Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_}: the norm of the per-tensor
 * L2 norms, {@code coef = min(1, maxNorm / (norm + 1e-6))}, every gradient scaled by it in place.
 */
public final class GradClip {
    private GradClip() {}

    /** The global norm (float32 arithmetic as torch's, reported in double) and the coefficient applied. */
    public record Result(double norm, double coef) {}

    /** The global L2 norm of the gradients, without changing them. */
    public static double norm(Collection<NDArray> grads) {
        NDArray total = totalNorm(grads);
        try (total) {
            return total.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
        }
    }

    private static NDArray totalNorm(Collection<NDArray> grads) {
        NDArray sumSquares = null;
        for (NDArray g : grads) {
            NDArray n = g.norm();
            NDArray sq = n.square();
            n.close();
            if (sumSquares == null) {
                sumSquares = sq;
            } else {
                NDArray next = sumSquares.add(sq);
                sumSquares.close();
                sq.close();
                sumSquares = next;
            }
        }
        NDArray total = sumSquares.sqrt();
        sumSquares.close();
        return total;
    }

    /** Clips in place; {@code maxNorm <= 0} only measures. */
    public static Result clip(Collection<NDArray> grads, double maxNorm) {
        try (NDArray total = totalNorm(grads)) {
            double norm = total.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
            if (maxNorm <= 0) {
                return new Result(norm, 1.0);
            }
            try (NDArray coef = total.add(1e-6).pow(-1).mul(maxNorm).clip(Double.NEGATIVE_INFINITY, 1.0)) {
                double c = coef.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
                for (NDArray g : grads) {
                    g.muli(coef);
                }
                return new Result(norm, c);
            }
        }
    }
}
