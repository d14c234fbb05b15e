package ai.aim4j.model;

import ai.aim4j.model.layers.AttentionPoolingProbe;
import ai.aim4j.model.layers.Params;
import ai.aim4j.model.tensor.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * A trainable attention-pooling probe head with ml-aim's key names ({@code head.cls_token},
 * {@code head.k.weight}, {@code head.v.weight}, {@code head.linear.weight}, {@code head.bn.*}),
 * owning its parameters and BatchNorm statistics, so a trained head saves like ml-aim's released
 * {@code *_head_*.pth} files and loads next to any backbone.
 */
public final class ProbeHead implements ClassifierHead {
    private static final List<String> TRAINABLE = List.of("head.cls_token", "head.k.weight", "head.v.weight", "head.linear.weight");
    private final NDManager manager;
    private final SequencedMap<String, NDArray> tensors;
    private final AttentionPoolingProbe probe;

    private ProbeHead(NDManager manager, SequencedMap<String, NDArray> tensors, AimConfig config) {
        this.manager = manager;
        this.tensors = tensors;
        this.probe = new AttentionPoolingProbe(Params.of(tensors).at("head"), config.headHeads(), config.batchNormEps());
    }

    /** The head's keys and shapes for a model config. */
    public static SequencedMap<String, long[]> shapes(AimConfig c) {
        SequencedMap<String, long[]> out = new LinkedHashMap<>();
        AimWeights.shapes(c, AimWeights.Parts.TRUNK_AND_HEAD).forEach((k, v) -> {
            if (k.startsWith("head.")) {
                out.put(k, v);
            }
        });
        return out;
    }

    /** A fresh head (the official initialization, seeded). */
    public static ProbeHead init(AimConfig c, long seed) {
        return create(c, Initializer.materialize(shapes(c), seed));
    }

    /** A head from tensors keyed by ml-aim's names (extra keys are ignored, missing or mis-shaped ones refused). */
    public static ProbeHead create(AimConfig c, Map<String, HostTensor> source) {
        return create(c, source, DataType.FLOAT32);
    }

    /** As {@link #create(AimConfig, Map)} in another precision (FLOAT64 for reference checks). */
    public static ProbeHead create(AimConfig c, Map<String, HostTensor> source, DataType dtype) {
        NDManager manager = NDManager.newBaseManager();
        try {
            SequencedMap<String, NDArray> t = new LinkedHashMap<>();
            for (var e : shapes(c).entrySet()) {
                if (e.getKey().equals(AimWeights.BN_TRACKED)) {
                    continue;
                }
                HostTensor h = source.get(e.getKey());
                if (h == null || !Arrays.equals(h.shape(), e.getValue())) {
                    throw new IllegalArgumentException("probe head tensor " + e.getKey() + (h == null ? " is missing" : " has shape "
                            + h.shapeString() + ", expected " + Arrays.toString(e.getValue())));
                }
                NDArray shared = h.toNDArray(manager);
                NDArray own = shared.getDataType() == dtype ? shared.duplicate() : shared.toType(dtype, true);
                shared.close();
                if (TRAINABLE.contains(e.getKey())) {
                    own.setRequiresGradient(true);
                }
                t.put(e.getKey(), own);
            }
            return new ProbeHead(manager, t, c);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The trainable parameters (cls_token, k, v, linear); BatchNorm statistics are buffers. */
    @Override
    public SequencedMap<String, NDArray> parameters() {
        SequencedMap<String, NDArray> p = new LinkedHashMap<>();
        TRAINABLE.forEach(k -> p.put(k, tensors.get(k)));
        return p;
    }

    /** Logits of averaged features {@code (B, N, D)}; training mode uses and updates batch statistics. */
    @Override
    public NDArray forward(NDArray features, boolean training) {
        return probe.forward(features, training);
    }

    /** Every tensor under ml-aim's names, BatchNorm counter included. */
    @Override
    public SequencedMap<String, HostTensor> stateDict() {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        tensors.forEach((k, v) -> out.put(k, HostTensor.fromNDArray(v)));
        out.put(AimWeights.BN_TRACKED, HostTensor.ofLongs(new long[0], new long[] {probe.batchesTracked()}));
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
