package ai.aim4j.model;

import ai.aim4j.model.AimWeights.Parts;
import ai.aim4j.model.layers.AttentionPoolingProbe;
import ai.aim4j.model.layers.Params;
import ai.aim4j.model.layers.PrefixCausalMask;
import ai.aim4j.model.layers.SinCos2d;
import ai.aim4j.model.layers.Trunk;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AIM v1 with ml-aim's inference semantics: patch embedding and its LayerNorm, the fixed sin-cos
 * position table, pre-norm blocks (bidirectional, or prefix-causal given a prefix mask), the
 * post-trunk LayerNorm, and the attention-pooling probe over the mean of selected blocks' outputs.
 *
 * <p>Parameters live in the model's own manager; results are attached to the manager of the input,
 * so a caller that runs each batch in a sub-manager keeps memory flat.
 */
public final class Aim implements AutoCloseable {
    private final AimConfig config;
    private final NDManager manager;
    private final NamedTensors source;
    private final DataType dtype;
    private final Trunk trunk;
    private final AttentionPoolingProbe head;

    private Aim(AimConfig config, NDManager manager, NamedTensors source, DataType dtype, Map<String, NDArray> weights, boolean withHead) {
        this.config = config;
        this.manager = manager;
        this.source = source;
        this.dtype = dtype;
        Params p = Params.of(weights);
        double[] table = SinCos2d.table(config.gridH(), config.gridW(), config.dim());
        NDArray posEmbed = manager.create(table, new Shape(config.numPatches(), config.dim())).toType(dtype, false);
        this.trunk = new Trunk(p, posEmbed, config.blocks(), config.heads(), config.layerNormEps());
        this.head = withHead ? new AttentionPoolingProbe(p.at("head"), config.headHeads(), config.batchNormEps()) : null;
    }

    /**
     * Builds the model over a checkpoint, checked strictly against the config. Weights already of
     * type {@code dtype} are shared with the checkpoint's memory (a mapped file is not copied); the
     * model takes ownership of {@code weights} and closes it on {@link #close()}.
     *
     * @param dtype FLOAT32 (the official numerics) or FLOAT64 (a reference-precision run)
     */
    public static Aim load(AimConfig config, NamedTensors weights, DataType dtype, String source) {
        return load(config, weights, dtype, source, false);
    }

    /**
     * As {@link #load(AimConfig, NamedTensors, DataType, String)}, optionally ignoring keys the model
     * does not have (a checkpoint with extra heads, say); missing or mis-shaped keys are always errors.
     */
    public static Aim load(AimConfig config, NamedTensors weights, DataType dtype, String source, boolean allowUnexpected) {
        Parts parts = AimWeights.partsOf(weights.tensors());
        AimWeights.check(config, parts, weights.tensors(), source, allowUnexpected);
        var wanted = AimWeights.shapes(config, parts);
        NDManager manager = NDManager.newBaseManager();
        try {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            for (var e : weights.tensors().entrySet()) {
                if (!wanted.containsKey(e.getKey()) || AimWeights.isDerivedBuffer(e.getKey())) {
                    continue;
                }
                HostTensor t = e.getValue();
                NDArray a = t.toNDArray(manager);
                if (a.getDataType() != dtype) {
                    NDArray cast = a.toType(dtype, true);
                    a.close();
                    a = cast;
                }
                arrays.put(e.getKey(), a);
            }
            return new Aim(config, manager, weights, dtype, arrays, parts == Parts.TRUNK_AND_HEAD);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public AimConfig config() {
        return config;
    }

    public DataType dtype() {
        return dtype;
    }

    public boolean hasHead() {
        return head != null;
    }

    /** The position table {@code (N, D)} added to the tokens. */
    public NDArray posEmbed() {
        return trunk.posEmbed();
    }

    /** Patch embedding + LayerNorm, before the position table: {@code (B, C, H, W) -> (B, N, D)}. */
    public NDArray patchifierTokens(NDArray images) {
        checkImages(images);
        return trunk.patchifierTokens(images.toType(dtype, false));
    }

    /** The input of block 0: patch tokens plus the position table. */
    public NDArray patchTokens(NDArray images) {
        return patchifierTokens(images).add(trunk.posEmbed());
    }

    /**
     * The outputs of blocks {@code 0..maxBlockId} (all blocks for -1), before the post-trunk norm.
     *
     * @param prefixMask null for bidirectional attention, else {@code (B, N)} booleans with
     *                   {@code true} = not in the prefix (ml-aim's convention)
     */
    public NDList extractFeatures(NDArray images, int maxBlockId, NDArray prefixMask) {
        int last = maxBlockId < 0 ? config.blocks() - 1 : maxBlockId;
        if (last >= config.blocks()) {
            throw new IllegalArgumentException("block " + maxBlockId + " does not exist; the model has " + config.blocks());
        }
        NDArray mask = prefixMask == null ? null : PrefixCausalMask.additive(checkMask(prefixMask), dtype);
        return trunk.blocks(patchTokens(images), last, mask);
    }

    /** The post-trunk LayerNorm of a block output. */
    public NDArray postTrunkNorm(NDArray lastBlockOutput) {
        return trunk.postTrunkNorm(lastBlockOutput);
    }

    /** The probe's input: the mean of the selected blocks' outputs. */
    public NDArray averageProbeFeatures(NDList blockOutputs) {
        NDArray sum = null;
        for (int b : config.probeLayers()) {
            sum = sum == null ? blockOutputs.get(b) : sum.add(blockOutputs.get(b));
        }
        return sum.div(config.probeLayers().length);
    }

    /** The probe features of images, running the trunk only as deep as the probe needs. */
    public NDArray probeFeatures(NDArray images) {
        int deepest = java.util.Arrays.stream(config.probeLayers()).max().orElseThrow();
        return averageProbeFeatures(extractFeatures(images, deepest, null));
    }

    /** Classification logits {@code (B, classes)}, as ml-aim's {@code model(images)} in eval mode. */
    public NDArray forward(NDArray images) {
        return classify(probeFeatures(images));
    }

    /** The attention-pooling head on averaged features. */
    public NDArray classify(NDArray probeFeatures) {
        if (head == null) {
            throw new IllegalStateException("this checkpoint holds no head.* weights; load a head file with the backbone to classify");
        }
        return head.forward(probeFeatures);
    }

    private void checkImages(NDArray images) {
        long[] s = images.getShape().getShape();
        if (s.length != 4 || s[1] != config.channels() || s[2] != config.imgSize()[0] || s[3] != config.imgSize()[1]) {
            throw new IllegalArgumentException("images of shape " + images.getShape() + " do not fit the model: expected (B, "
                    + config.channels() + ", " + config.imgSize()[0] + ", " + config.imgSize()[1] + ")");
        }
    }

    private NDArray checkMask(NDArray prefixMask) {
        long[] s = prefixMask.getShape().getShape();
        if (s.length != 2 || s[1] != config.numPatches()) {
            throw new IllegalArgumentException("prefix mask of shape " + prefixMask.getShape() + " does not fit "
                    + config.numPatches() + " tokens");
        }
        return prefixMask.getDataType() == DataType.BOOLEAN ? prefixMask : prefixMask.toType(DataType.BOOLEAN, false);
    }

    /** Arrays owned by the model itself (parameters and derived constants); constant while it is used. */
    int managedArrays() {
        return manager.getManagedArrays().size();
    }

    @Override
    public void close() {
        manager.close();
        source.close();
    }
}
