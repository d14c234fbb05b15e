package ai.aim4j.model;

import ai.aim4j.model.tensor.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.SequencedMap;

/**
 * The raw-pixel baseline: softmax regression, one linear layer with bias on the flattened
 * normalized pixels ({@code (B, 1, C*H*W)} features), zero-initialized as logistic regression is.
 */
public final class SoftmaxRegression implements ClassifierHead {
    private final NDManager manager = NDManager.newBaseManager();
    private final NDArray weight;
    private final NDArray bias;

    public SoftmaxRegression(int inputs, int classes) {
        this.weight = manager.zeros(new Shape(classes, inputs));
        this.bias = manager.zeros(new Shape(classes));
        weight.setRequiresGradient(true);
        bias.setRequiresGradient(true);
    }

    @Override
    public SequencedMap<String, NDArray> parameters() {
        SequencedMap<String, NDArray> p = new LinkedHashMap<>();
        p.put("linear.weight", weight);
        p.put("linear.bias", bias);
        return p;
    }

    @Override
    public NDArray forward(NDArray features, boolean training) {
        NDArray flat = features.reshape(features.getShape().get(0), -1);
        return ai.djl.nn.core.Linear.linear(flat, weight, bias).singletonOrThrow();
    }

    @Override
    public SequencedMap<String, HostTensor> stateDict() {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        parameters().forEach((k, v) -> out.put(k, HostTensor.fromNDArray(v)));
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
