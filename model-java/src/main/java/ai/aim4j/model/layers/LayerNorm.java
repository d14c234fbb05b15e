package ai.aim4j.model.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** LayerNorm over the last axis with a learned scale and shift. */
public final class LayerNorm {
    private final NDArray weight;
    private final NDArray bias;
    private final float eps;
    private final Shape normalized;

    public LayerNorm(Params p, double eps) {
        this.weight = p.get("weight");
        this.bias = p.get("bias");
        this.eps = (float) eps;
        this.normalized = new Shape(weight.getShape().get(0));
    }

    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, normalized, weight, bias, eps).singletonOrThrow();
    }
}
