package ai.aim4j.model.nn;

import static ai.djl.nn.norm.LayerNorm.layerNorm;

import ai.aim4j.model.aten.Aten;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** LayerNorm over the last axis with a learned scale and shift. */
public final class LayerNorm extends Layer {
    private final Parameter weight;
    private final Parameter bias;
    private final float eps;
    private final Shape normalized;

    public LayerNorm(long dim, double eps) {
        this.weight = parameter("weight", Kind.NORM_SCALE, Init.ONES, dim);
        this.bias = parameter("bias", Kind.NORM_SHIFT, Init.ZEROS, dim);
        this.eps = (float) eps;
        this.normalized = new Shape(dim);
    }

    /**
     * A lower-precision input under {@link Autocast} (a bf16 product's output) is normalized in the
     * weights' float32 and rounded back once, as PyTorch's mixed-type kernel does; libtorch 2.7.1
     * rounds on the way as well, which leaves about a third of the values one bf16 step off.
     */
    public NDArray forward(NDArray x) {
        NDArray w = weight.value();
        DataType type = Aten.dataType(x);
        if (type == w.getDataType()) {
            return layerNorm(x, normalized, w, bias.value(), eps).singletonOrThrow();
        }
        try (NDArray wide = Aten.toType(x, w.getDataType())) {
            return Aten.toType(layerNorm(wide, normalized, w, bias.value(), eps).singletonOrThrow(), type);
        }
    }
}
