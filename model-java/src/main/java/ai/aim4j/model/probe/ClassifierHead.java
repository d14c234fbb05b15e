package ai.aim4j.model.probe;

import ai.aim4j.model.tensor.HostTensor;
import ai.djl.ndarray.NDArray;
import java.util.SequencedMap;

/** A classifier trained on cached features: the attention-pooling probe, or the raw-pixel baseline. */
public interface ClassifierHead extends AutoCloseable {
    /** Trainable parameters by name. */
    SequencedMap<String, NDArray> trainableParameters();

    /** Logits {@code (B, K)} of features {@code (B, N, D)}; training mode may update statistics. */
    NDArray forward(NDArray features, boolean training);

    /** Every persistent tensor, for saving. */
    SequencedMap<String, HostTensor> stateDict();

    @Override
    void close();
}
