package ai.aim4j.model.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;

/** {@code fc2(gelu(fc1(x)))} with the exact (erf) GELU. */
public final class Mlp {
    private final Linear fc1;
    private final Linear fc2;

    public Mlp(Params p) {
        this.fc1 = new Linear(p.at("fc1"));
        this.fc2 = new Linear(p.at("fc2"));
    }

    public NDArray forward(NDArray x) {
        return fc2.forward(Activation.gelu(fc1.forward(x)));
    }
}
