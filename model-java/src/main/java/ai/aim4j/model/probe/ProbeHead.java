package ai.aim4j.model.probe;

import ai.aim4j.model.AttentionPoolingProbe;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.nn.Model;
import ai.aim4j.model.tensor.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Map;

/**
 * The attention-pooling probe head trained on its own, under ml-aim's key names
 * ({@code head.cls_token}, {@code head.k.weight}, ...), so a trained head saves like ml-aim's
 * released {@code *_head_*.pth} files and loads next to any backbone.
 */
public final class ProbeHead extends Model implements ClassifierHead {
    private final AttentionPoolingProbe probe;

    private ProbeHead(AimConfig config) {
        this.probe = layer("head", new AttentionPoolingProbe(config));
    }

    /** A fresh head (the official initialization, seeded). */
    public static ProbeHead init(AimConfig config, long seed) {
        ProbeHead head = new ProbeHead(config);
        return create(head, Initializer.materialize(head, seed), DataType.FLOAT32, "initialization");
    }

    /** A head from tensors keyed by ml-aim's names; keys of other parts (a trunk) are ignored, missing or mis-shaped ones refused. */
    public static ProbeHead create(AimConfig config, Map<String, HostTensor> source, DataType dtype) {
        return create(new ProbeHead(config), source, dtype, "probe head");
    }

    private static ProbeHead create(ProbeHead head, Map<String, HostTensor> tensors, DataType dtype, String source) {
        head.bind(tensors, source, key -> !key.startsWith("head."), dtype, Binding.OWNED, null);
        return head;
    }

    @Override
    protected String modelName() {
        return "attention-pooling probe head";
    }

    @Override
    public NDArray forward(NDArray features, boolean training) {
        return probe.forward(features, training);
    }
}
