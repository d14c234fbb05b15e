package ai.aim4j.model;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Model;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * AIM v1 with ml-aim's inference semantics: the {@link Preprocessor} (patch embedding, computed
 * sin-cos positions), the {@link Trunk} (bidirectional, or prefix-causal given a prefix mask, and
 * the post-trunk LayerNorm), and the {@link AttentionPoolingProbe} over the mean of the selected
 * blocks' outputs ({@code probe_layers}).
 *
 * <p>Parameters live in the model's own manager, sharing a mapped checkpoint's memory where they
 * can; results are attached to the manager of the input, so a caller that runs each batch in a
 * sub-manager keeps memory flat.
 */
public final class Aim extends Model {
    /** Keys of ml-aim's prefix-causal trunk: its {@code (1, N, N)} attention masks, derived here instead. */
    private static final Pattern ATTENTION_MASK = Pattern.compile("^trunk\\.blocks\\.\\d+\\.attn\\.attn_mask$");
    /** Keys of a pre-training checkpoint that inference does not use: the pixel head. */
    private static final String PIXEL_HEAD = "head.decoder_";

    private final AimConfig config;
    private final Preprocessor preprocessor;
    private final Trunk trunk;
    private final AttentionPoolingProbe head;

    /** The model's declarations, unbound; with the probe head or without it (a backbone). */
    public Aim(AimConfig config, boolean withHead) {
        this.config = config;
        this.preprocessor = layer("preprocessor", new Preprocessor(config, false));
        this.trunk = layer("trunk", new Trunk(config));
        this.head = withHead ? layer("head", new AttentionPoolingProbe(config)) : null;
    }

    /**
     * Builds the model over a checkpoint, checked strictly against the config; the probe head is
     * part of the model when the checkpoint carries one. Weights already of type {@code dtype} share
     * the checkpoint's memory (a mapped file is not copied); the model takes ownership of
     * {@code weights} and closes it on {@link #close()}.
     *
     * @param dtype           FLOAT32 (the official numerics) or FLOAT64 (a reference-precision run)
     * @param allowUnexpected accept (and ignore) keys the model does not have; missing and mis-shaped
     *                        keys are errors either way
     */
    public static Aim load(AimConfig config, NamedTensors weights, DataType dtype, String source, boolean allowUnexpected) {
        Aim aim = new Aim(config, holdsProbeHead(weights.tensors()));
        aim.bind(weights.tensors(), source, key -> allowUnexpected || ignored(key), dtype, Binding.SHARED, weights);
        return aim;
    }

    /** As {@link #load(AimConfig, NamedTensors, DataType, String, boolean)}, strict about unexpected keys. */
    public static Aim load(AimConfig config, NamedTensors weights, DataType dtype, String source) {
        return load(config, weights, dtype, source, false);
    }

    /** Whether a checkpoint carries the probe head (a {@code head.*} key other than the pixel head's). */
    public static boolean holdsProbeHead(Map<String, HostTensor> tensors) {
        return tensors.keySet().stream().anyMatch(k -> k.startsWith("head.") && !k.startsWith(PIXEL_HEAD));
    }

    /** Keys a checkpoint may carry that inference derives itself or does not use. */
    private static boolean ignored(String key) {
        return key.startsWith(PIXEL_HEAD) || ATTENTION_MASK.matcher(key).matches();
    }

    @Override
    protected String modelName() {
        return config.name();
    }

    public AimConfig config() {
        return config;
    }

    public boolean hasHead() {
        return head != null;
    }

    /** The position table {@code (N, D)} added to the tokens. */
    public NDArray posEmbed() {
        return preprocessor.positions().reshape(config.numPatches(), config.dim());
    }

    /** Patch embedding + LayerNorm, before the position table: {@code (B, C, H, W) -> (B, N, D)}. */
    public NDArray patchifierTokens(NDArray images) {
        checkImages(images);
        return preprocessor.patchTokens(images.toType(dtype(), false));
    }

    /** The input of block 0: patch tokens plus the position table. */
    public NDArray patchTokens(NDArray images) {
        checkImages(images);
        return preprocessor.forward(images.toType(dtype(), false));
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
        NDArray mask = prefixMask == null ? null : PrefixCausalMask.additive(checkMask(prefixMask), dtype());
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
        int deepest = Arrays.stream(config.probeLayers()).max().orElseThrow();
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
        return head.forward(probeFeatures, false);
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
}
