package ai.aim4j.model.nn;

import static ai.djl.nn.core.Linear.linear;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/** {@code y = x W^T (+ b)} over the last axis, with PyTorch's {@code (out, in)} weight. */
public final class Linear extends Layer {
    private final Parameter weight;
    private final Parameter bias;

    /** A linear map with the official xavier-uniform weights and zero bias. */
    public Linear(long in, long out, boolean bias) {
        this(in, out, bias, Init.XAVIER_UNIFORM, List.of());
    }

    /**
     * @param stackedParts names of equal row blocks the output stacks (ml-aim's fused {@code qkv} is
     *                     {@code q}, {@code k}, {@code v}), or empty
     */
    public Linear(long in, long out, boolean bias, Init weightInit, List<String> stackedParts) {
        this.weight = register("weight", new Parameter(Kind.LINEAR_WEIGHT, weightInit, new long[] {out, in}, true, stackedParts));
        this.bias = bias ? register("bias", new Parameter(Kind.BIAS, Init.ZEROS, new long[] {out}, true, stackedParts)) : null;
    }

    /** Under {@link Autocast} the product runs in the lower type (operands cast, the result left in it). */
    public NDArray forward(NDArray x) {
        NDManager call = x.getManager();
        return linear(Autocast.operand(x, call), Autocast.operand(weight.value(), call),
                bias == null ? null : Autocast.operand(bias.value(), call)).singletonOrThrow();
    }
}
