package ai.aim4j.model.nn;

import ai.aim4j.model.aten.Aten;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Scalars for differentiable arithmetic. DJL's {@code mul(Number)} and {@code div(Number)} wrap the
 * number in a tensor over a Java direct buffer, use it, and release the buffer; autograd keeps that
 * tensor for the backward pass of a product or quotient, and once the garbage collector frees the
 * buffer the gradient reads freed memory (seen as an intermittently lost gradient). A scalar made
 * here owns engine memory, so autograd may keep it as long as it needs.
 */
public final class Scalars {
    private Scalars() {}

    /** {@code value} as a 0-dim tensor of {@code like}'s type and manager, in memory of its own. */
    public static NDArray of(NDArray like, double value) {
        try (NDArray wrapped = like.getManager().create(value)) {
            // duplicate() and a cast copy into engine memory; toType to the same type would alias the buffer, and
            // DJL's own cannot make bfloat16.
            DataType type = Aten.dataType(like);
            return wrapped.getDataType() == type ? wrapped.duplicate() : Aten.toType(wrapped, type);
        }
    }
}
