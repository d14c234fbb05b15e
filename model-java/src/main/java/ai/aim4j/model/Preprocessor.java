package ai.aim4j.model;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Init;
import ai.aim4j.model.nn.Kind;
import ai.aim4j.model.nn.Layer;
import ai.aim4j.model.nn.Parameter;
import ai.aim4j.model.nn.PatchEmbed;
import ai.aim4j.model.nn.SinCos2d;
import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Images to position-tagged tokens, as ml-aim's ViT preprocessor: the patch embedding with its
 * LayerNorm, then the fixed 2-D sin-cos position table added. ml-aim computes the table; ml-l3m's
 * training checkpoints store it ({@code storesTable}), and a stored table is used to the bit.
 */
public final class Preprocessor extends Layer {
    private final PatchEmbed patchifier;
    private final Parameter posEmbed;

    public Preprocessor(AimConfig c, boolean storesTable) {
        this.patchifier = layer("patchifier", new PatchEmbed(c.channels(), c.patchSize()[0], c.patchSize()[1], c.dim(), c.layerNormEps()));
        this.posEmbed = register("pos_embed", new Parameter(Kind.POSITION_TABLE,
                new Init.Table(() -> SinCos2d.table(c.gridH(), c.gridW(), c.dim())), new long[] {1, c.numPatches(), c.dim()}, storesTable,
                List.of()));
    }

    /** Patch embedding and its LayerNorm, before the positions: {@code (B, C, H, W) -> (B, N, D)}. */
    public NDArray patchTokens(NDArray images) {
        return patchifier.forward(images);
    }

    /** The input of the first block: patch tokens plus the position table. */
    public NDArray forward(NDArray images) {
        return patchTokens(images).add(posEmbed.value());
    }

    /** The position table {@code (1, N, D)}. */
    public NDArray positions() {
        return posEmbed.value();
    }
}
