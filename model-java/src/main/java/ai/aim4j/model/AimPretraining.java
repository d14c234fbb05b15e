package ai.aim4j.model;

import ai.aim4j.model.layers.Params;
import ai.aim4j.model.layers.PixelHead;
import ai.aim4j.model.layers.PrefixCausalMask;
import ai.aim4j.model.layers.SinCos2d;
import ai.aim4j.model.layers.Trunk;
import ai.aim4j.model.tensor.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The AIM pre-training model: prefix-causal trunk, pixel head, normalized-pixel loss. Its parameters
 * are owned copies (never a mapped file) that autograd and the optimizer update in place; the two
 * sin-cos tables are fixed buffers, taken from the checkpoint when it carries them (ml-l3m stores
 * them) so the numerics are the official ones to the bit.
 */
public final class AimPretraining implements AutoCloseable {
    /** Internal names of the fixed position tables (ml-l3m: {@code preprocessor.blocks.0.pos_embed}, {@code head.decoder_pos_embed}). */
    public static final String TRUNK_POS = "preprocessor.pos_embed";
    public static final String HEAD_POS = "head.decoder_pos_embed";

    private final PretrainConfig config;
    private final NDManager manager;
    private final DataType dtype;
    private final SequencedMap<String, NDArray> parameters;
    private final NDArray trunkPos;
    private final NDArray headPos;
    private final Trunk trunk;
    private final PixelHead head;

    /** One forward pass: trunk output, predictions and the loss with its parts. */
    public record Forward(NDArray trunkTokens, NDArray preds, PixelLoss.Result loss) {}

    private AimPretraining(PretrainConfig config, NDManager manager, DataType dtype, SequencedMap<String, NDArray> parameters,
                           NDArray trunkPos, NDArray headPos) {
        this.config = config;
        this.manager = manager;
        this.dtype = dtype;
        this.parameters = parameters;
        this.trunkPos = trunkPos;
        this.headPos = headPos;
        AimConfig t = config.trunk();
        Params p = Params.of(parameters);
        this.trunk = new Trunk(p, trunkPos, t.blocks(), t.heads(), t.layerNormEps());
        this.head = new PixelHead(p.at("head"), headPos, config.headBlocks(), config.headEps());
    }

    /** Every trainable parameter of the model, internal names, with its shape. */
    public static SequencedMap<String, long[]> parameterShapes(PretrainConfig c) {
        SequencedMap<String, long[]> s = new LinkedHashMap<>(AimWeights.shapes(c.trunk(), AimWeights.Parts.TRUNK));
        long d = c.trunk().dim();
        long e = c.headWidth();
        long m = (long) c.headWidth() * c.headMlpRatio();
        s.put("head.decoder_projection.weight", new long[] {e, d});
        s.put("head.decoder_projection.bias", new long[] {e});
        for (int j = 0; j < c.headBlocks(); j++) {
            String b = "head.decoder_blocks." + j + ".";
            s.put(b + "norm_1.weight", new long[] {e});
            s.put(b + "norm_1.bias", new long[] {e});
            s.put(b + "mlp.fc1.weight", new long[] {m, e});
            s.put(b + "mlp.fc2.weight", new long[] {e, m});
            s.put(b + "norm_2.weight", new long[] {e});
            s.put(b + "norm_2.bias", new long[] {e});
        }
        s.put("head.decoder_norm.weight", new long[] {e});
        s.put("head.decoder_norm.bias", new long[] {e});
        s.put("head.decoder_pred.weight", new long[] {c.patchValues(), e});
        s.put("head.decoder_pred.bias", new long[] {c.patchValues()});
        return s;
    }

    /**
     * Builds the model from internal-named tensors (see {@link ai.aim4j.model.naming.L3mLayout} for
     * ml-l3m checkpoints), copying them into memory of its own. Strict: missing, unexpected and
     * mis-shaped keys are listed in one error.
     */
    public static AimPretraining create(PretrainConfig config, Map<String, HostTensor> tensors, DataType dtype, String source) {
        SequencedMap<String, long[]> want = parameterShapes(config);
        int n = config.trunk().numPatches();
        List<String> problems = new ArrayList<>();
        for (var e : want.entrySet()) {
            HostTensor t = tensors.get(e.getKey());
            if (t == null) {
                problems.add("missing " + e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue())) {
                problems.add("shape mismatch for " + e.getKey() + ": checkpoint " + t.shapeString() + ", model " + Arrays.toString(e.getValue()));
            }
        }
        for (String k : tensors.keySet()) {
            if (!want.containsKey(k) && !k.equals(TRUNK_POS) && !k.equals(HEAD_POS)) {
                problems.add("unexpected " + k);
            }
        }
        checkTable(tensors.get(TRUNK_POS), new long[] {1, n, config.trunk().dim()}, TRUNK_POS, problems);
        checkTable(tensors.get(HEAD_POS), new long[] {1, n, config.headWidth()}, HEAD_POS, problems);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(source + " does not match the pre-training model:\n  - " + String.join("\n  - ", problems));
        }
        NDManager manager = NDManager.newBaseManager();
        try {
            SequencedMap<String, NDArray> params = new LinkedHashMap<>();
            for (String k : want.keySet()) {
                params.put(k, owned(tensors.get(k), manager, dtype));
            }
            NDArray trunkPos = table(tensors.get(TRUNK_POS), config.trunk().gridH(), config.trunk().gridW(), config.trunk().dim(), manager, dtype);
            NDArray headPos = table(tensors.get(HEAD_POS), config.trunk().gridH(), config.trunk().gridW(), config.headWidth(), manager, dtype);
            for (NDArray p : params.values()) {
                p.setRequiresGradient(true);
            }
            return new AimPretraining(config, manager, dtype, params, trunkPos, headPos);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static void checkTable(HostTensor t, long[] shape, String name, List<String> problems) {
        if (t != null && !Arrays.equals(t.shape(), shape)) {
            problems.add("shape mismatch for " + name + ": checkpoint " + t.shapeString() + ", model " + Arrays.toString(shape));
        }
    }

    /**
     * A copy in memory of the model's own. (DJL's {@code toType} to the same type returns an alias of
     * the source, which for a mapped file is read-only memory that an in-place update would fault on.)
     */
    private static NDArray owned(HostTensor t, NDManager manager, DataType dtype) {
        NDArray shared = t.toNDArray(manager);
        NDArray copy = shared.getDataType() == dtype ? shared.duplicate() : shared.toType(dtype, true);
        shared.close();
        return copy;
    }

    /** The stored table as {@code (N, width)}, or the sin-cos formula when the checkpoint has none. */
    private static NDArray table(HostTensor stored, int gh, int gw, int width, NDManager manager, DataType dtype) {
        if (stored != null) {
            return owned(stored, manager, dtype).reshape(gh * gw, width);
        }
        return manager.create(SinCos2d.table(gh, gw, width), new Shape((long) gh * gw, width)).toType(dtype, false);
    }

    public PretrainConfig config() {
        return config;
    }

    public DataType dtype() {
        return dtype;
    }

    /** The trainable parameters by internal name (leaves of autograd; the optimizer updates them in place). */
    public SequencedMap<String, NDArray> parameters() {
        return parameters;
    }

    /**
     * Forward pass and loss. {@code prefixMask}: {@code (B, N)} booleans, true = not in the prefix.
     * Run it inside a gradient collector to train.
     */
    public Forward forward(NDArray images, NDArray prefixMask) {
        NDArray x = images.toType(dtype, false);
        NDArray mask = PrefixCausalMask.additive(prefixMask, dtype);
        NDList blocks = trunk.blocks(trunk.patchTokens(x), trunk.depth() - 1, mask);
        NDArray tokens = trunk.postTrunkNorm(blocks.getLast());
        NDArray preds = head.forward(tokens);
        int[] p = config.trunk().patchSize();
        return new Forward(tokens, preds, PixelLoss.compute(preds, x, prefixMask, p[0], p[1]));
    }

    /** The state dict (internal names) as host copies: parameters, then the two fixed tables as {@code (1, N, W)}. */
    public SequencedMap<String, HostTensor> stateDict() {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        parameters.forEach((k, v) -> out.put(k, HostTensor.fromNDArray(v)));
        int n = config.trunk().numPatches();
        out.put(TRUNK_POS, HostTensor.fromNDArray(trunkPos).reshapeTo(new long[] {1, n, config.trunk().dim()}));
        out.put(HEAD_POS, HostTensor.fromNDArray(headPos).reshapeTo(new long[] {1, n, config.headWidth()}));
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
