package ai.aim4j.model.nn;

import static ai.djl.nn.norm.LayerNorm.layerNorm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** LayerNorm over the last axis with a learned scale and shift. */
public final class LayerNorm extends Layer {
    private final Parameter weight;
    private final Parameter bias;
    private final float eps;
    private final Shape normalized;

    /** Scale 1 and shift 0 over {@code dim} features; {@code eps} is added to the variance. */
    public LayerNorm(long dim, double eps) {
        this.weight = parameter("weight", Kind.NORM_SCALE, Init.ONES, dim);
        this.bias = parameter("bias", Kind.NORM_SHIFT, Init.ZEROS, dim);
        this.eps = (float) eps;
        this.normalized = new Shape(dim);
    }

    /** {@code x} normalized over its last axis, then scaled and shifted. */
    public NDArray forward(NDArray x) {
        return layerNorm(x, normalized, weight.value(), bias.value(), eps).singletonOrThrow();
    }
}
