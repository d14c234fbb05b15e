package ai.aim4j.model.probe;

import ai.aim4j.model.nn.Init;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.nn.Linear;
import ai.aim4j.model.nn.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.List;

/**
 * The raw-pixel baseline: softmax regression, one linear layer with bias on the flattened
 * normalized pixels ({@code (B, 1, C*H*W)} features), zero-initialized as logistic regression is.
 */
public final class SoftmaxRegression extends Model implements ClassifierHead {
    private final Linear linear;

    public SoftmaxRegression(int inputs, int classes) {
        this.linear = layer("linear", new Linear(inputs, classes, true, Init.ZEROS, List.of()));
        bind(Initializer.materialize(this, 0), "initialization", key -> false, DataType.FLOAT32, Binding.OWNED, null);
    }

    @Override
    protected String modelName() {
        return "softmax regression";
    }

    @Override
    public NDArray forward(NDArray features, boolean training) {
        return linear.forward(features.reshape(features.getShape().get(0), -1));
    }
}
