package ai.aim4j.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** {@code fc2(gelu(fc1(x)))} with the exact (erf) GELU. */
public final class Mlp extends Layer {
    private final Linear fc1;
    private final Linear fc2;

    /** {@code dim -> hidden -> dim}, with biases when {@code bias}. */
    public Mlp(long dim, long hidden, boolean bias) {
        this.fc1 = layer("fc1", new Linear(dim, hidden, bias));
        this.fc2 = layer("fc2", new Linear(hidden, dim, bias));
    }

    /** The map applied to every token of {@code x} (the last axis its features). */
    public NDArray forward(NDArray x) {
        return fc2.forward(Activation.gelu(fc1.forward(x)));
    }
}
