package ai.aim4j.model;

import ai.aim4j.model.aten.Aten;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.nn.Init;
import ai.aim4j.model.nn.Kind;
import ai.aim4j.model.nn.Layer;
import ai.aim4j.model.nn.LayerNorm;
import ai.aim4j.model.nn.Linear;
import ai.aim4j.model.nn.Mlp;
import ai.aim4j.model.nn.Parameter;
import ai.aim4j.model.nn.SinCos2d;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.List;

/**
 * AIM's pixel head, ml-l3m's {@code SimpleDecoder} with attention replaced by identity: project the
 * trunk tokens to width E and add the head's own sin-cos table; then per block
 * {@code z = z + norm_1(z)} (the identity "attention" of its normalized input, so norm_1 matters) and
 * {@code z = z + fc2(gelu(fc1(norm_2(z))))}; a final LayerNorm and a linear to one patch of pixels.
 * Nothing mixes positions.
 */
public final class PixelHead extends Layer {
    private final Linear projection;
    private final Parameter posEmbed;
    private final DecoderBlock[] blocks;
    private final LayerNorm norm;
    private final Linear pred;

    /** One block of the head: the normalized input added back, then a bias-free MLP on the second norm. */
    private static final class DecoderBlock extends Layer {
        private final LayerNorm norm1;
        private final Mlp mlp;
        private final LayerNorm norm2;

        DecoderBlock(long width, long hidden, double eps) {
            this.norm1 = layer("norm_1", new LayerNorm(width, eps));
            this.mlp = layer("mlp", new Mlp(width, hidden, false));
            this.norm2 = layer("norm_2", new LayerNorm(width, eps));
        }

        NDArray forward(NDArray z) {
            NDArray h = z.add(norm1.forward(z));
            return h.add(mlp.forward(norm2.forward(h)));
        }
    }

    public PixelHead(PretrainConfig c) {
        var t = c.trunk();
        long e = c.headWidth();
        this.projection = layer("decoder_projection", new Linear(t.dim(), e, true));
        this.posEmbed = register("decoder_pos_embed", new Parameter(Kind.POSITION_TABLE,
                new Init.Table(() -> SinCos2d.table(t.gridH(), t.gridW(), c.headWidth())), new long[] {1, t.numPatches(), e}, true,
                List.of()));
        this.blocks = new DecoderBlock[c.headBlocks()];
        for (int j = 0; j < blocks.length; j++) {
            blocks[j] = layer("decoder_blocks." + j, new DecoderBlock(e, e * c.headMlpRatio(), c.headEps()));
        }
        this.norm = layer("decoder_norm", new LayerNorm(e, c.headEps()));
        this.pred = layer("decoder_pred", new Linear(e, c.patchValues(), true));
    }

    /** Trunk tokens {@code (B, N, D)} to pixel predictions {@code (B, N, C*ph*pw)}. */
    public NDArray forward(NDArray trunkTokens) {
        return decode(projection.forward(trunkTokens).add(posEmbed.value()));
    }

    /** Trunk tokens {@code (M, D)} taken at image positions {@code positions} (int64, {@code M}) to predictions {@code (M, C*ph*pw)}. */
    public NDArray forward(NDArray tokens, NDArray positions) {
        // Gathered from (1, N, E) along the positions, then (M, E): both arrays the batch's, not the model's.
        return decode(projection.forward(tokens).add(Aten.indexSelect(posEmbed.value(), 1, positions).squeeze(0)));
    }

    private NDArray decode(NDArray z) {
        for (DecoderBlock block : blocks) {
            // Each block's intermediates are freed when it returns; only its output survives.
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                z = block.forward(z);
                NDScope.unregister(z);
            }
        }
        return pred.forward(norm.forward(z));
    }
}
