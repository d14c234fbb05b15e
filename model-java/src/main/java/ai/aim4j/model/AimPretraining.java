package ai.aim4j.model;

import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.nn.Model;
import ai.aim4j.model.tensor.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import java.util.Map;

/**
 * The AIM pre-training model: the {@link Preprocessor} and {@link Trunk} of the inference model,
 * attending prefix-causally, then the {@link PixelHead} and the normalized-pixel {@link PixelLoss}.
 * Its parameters are copies of its own (never a mapped file) that autograd and the optimizer update
 * in place; the two sin-cos tables are fixed buffers, taken from the checkpoint when it carries them
 * (ml-l3m stores them) so the numerics are the official ones to the bit.
 */
public final class AimPretraining extends Model {
    private final PretrainConfig config;
    private final Preprocessor preprocessor;
    private final Trunk trunk;
    private final PixelHead head;

    /** One forward pass: trunk output, predictions and the loss with its parts. */
    public record Forward(NDArray trunkTokens, NDArray preds, PixelLoss.Result loss) {}

    /** The model's declarations, unbound. */
    public AimPretraining(PretrainConfig config) {
        this.config = config;
        this.preprocessor = layer("preprocessor", new Preprocessor(config.trunk(), true));
        this.trunk = layer("trunk", new Trunk(config.trunk()));
        this.head = layer("head", new PixelHead(config));
    }

    /**
     * Builds the model from tensors under aim4j's internal (ml-aim) names (see
     * {@link ai.aim4j.model.naming.L3mNames} for ml-l3m checkpoints), copied into memory of its own.
     * Strict: missing, unexpected and mis-shaped keys are listed in one error.
     */
    public static AimPretraining create(PretrainConfig config, Map<String, HostTensor> tensors, DataType dtype, String source) {
        AimPretraining model = new AimPretraining(config);
        model.bind(tensors, source, key -> false, dtype, Binding.OWNED, null);
        return model;
    }

    /** A freshly initialized model (the official initialization, seeded). */
    public static AimPretraining initialize(PretrainConfig config, long seed, DataType dtype) {
        AimPretraining model = new AimPretraining(config);
        model.bind(Initializer.materialize(model, seed), "initialization", key -> false, dtype, Binding.OWNED, null);
        return model;
    }

    @Override
    protected String modelName() {
        return "pre-training " + config.trunk().name();
    }

    public PretrainConfig config() {
        return config;
    }

    /**
     * Forward pass and loss. {@code prefixMask}: {@code (B, N)} booleans, true = not in the prefix.
     * Run it inside a gradient collector to train.
     */
    public Forward forward(NDArray images, NDArray prefixMask) {
        NDArray x = images.toType(dtype(), false);
        NDArray tokens = trunk.postTrunkNorm(trunkOutput(x, prefixMask, null));
        NDArray preds = head.forward(tokens);
        int[] p = config.trunk().patchSize();
        return new Forward(tokens, preds, PixelLoss.compute(preds, x, prefixMask, p[0], p[1]));
    }

    /**
     * The loss as training needs it, computing only what it reads: the last block's attention
     * projection and MLP, the trunk's last norm and the pixel head run on the scored positions
     * ({@link ScoredPositions}, about half the tokens), where {@link #forward} runs them on every
     * token. The same loss and gradients up to float rounding.
     */
    public PixelLoss.Terms loss(NDArray images, NDArray prefixMask) {
        NDArray x = images.toType(dtype(), false);
        ScoredPositions at = ScoredPositions.of(prefixMask, x.getManager());
        NDArray tokens = trunk.postTrunkNorm(trunkOutput(x, prefixMask, at.rows()));
        int[] p = config.trunk().patchSize();
        return PixelLoss.scored(head.forward(tokens, at.positions()), x, at, p[0], p[1]);
    }

    /** The last trunk block's output, attending prefix-causally, at {@code rows} ({@link ai.aim4j.model.nn.TokenRows}; null: all). */
    private NDArray trunkOutput(NDArray x, NDArray prefixMask, NDArray rows) {
        NDArray mask = PrefixCausalMask.additive(prefixMask, dtype());
        NDList blocks = trunk.blocks(preprocessor.forward(x), trunk.depth() - 1, mask, rows);
        return blocks.getLast();
    }
}
