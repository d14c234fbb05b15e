package ai.aim4j.model.layers;

import ai.djl.ndarray.NDArray;

/** {@code y = x W^T (+ b)} over the last axis, with PyTorch's {@code (out, in)} weight. */
public final class Linear {
    private final NDArray weight;
    private final NDArray bias;

    public Linear(Params p) {
        this.weight = p.get("weight");
        this.bias = p.optional("bias");
    }

    public NDArray forward(NDArray x) {
        return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }
}
