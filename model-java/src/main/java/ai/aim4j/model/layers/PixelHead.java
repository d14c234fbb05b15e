package ai.aim4j.model.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * AIM's pixel head, ml-l3m's {@code SimpleDecoder} with attention replaced by identity: project the
 * trunk tokens to width E and add the head's own sin-cos table; then per block
 * {@code z = z + norm_1(z)} (the identity "attention" of its normalized input, so norm_1 matters) and
 * {@code z = z + fc2(gelu(fc1(norm_2(z))))}; a final LayerNorm and a linear to one patch of pixels.
 * Nothing mixes positions.
 */
public final class PixelHead {
    private final Linear projection;
    private final NDArray posEmbed;
    private final LayerNorm[] norm1;
    private final LayerNorm[] norm2;
    private final Mlp[] mlp;
    private final LayerNorm norm;
    private final Linear pred;

    /** Reads {@code decoder_projection}, {@code decoder_blocks.j.*}, {@code decoder_norm}, {@code decoder_pred} under {@code p}. */
    public PixelHead(Params p, NDArray posEmbed, int blocks, double eps) {
        this.projection = new Linear(p.at("decoder_projection"));
        this.posEmbed = posEmbed;
        this.norm1 = new LayerNorm[blocks];
        this.norm2 = new LayerNorm[blocks];
        this.mlp = new Mlp[blocks];
        for (int j = 0; j < blocks; j++) {
            Params b = p.at("decoder_blocks." + j);
            norm1[j] = new LayerNorm(b.at("norm_1"), eps);
            norm2[j] = new LayerNorm(b.at("norm_2"), eps);
            mlp[j] = new Mlp(b.at("mlp"));
        }
        this.norm = new LayerNorm(p.at("decoder_norm"), eps);
        this.pred = new Linear(p.at("decoder_pred"));
    }

    /** Trunk tokens {@code (B, N, D)} to pixel predictions {@code (B, N, C*ph*pw)}. */
    public NDArray forward(NDArray trunkTokens) {
        NDArray z = projection.forward(trunkTokens).add(posEmbed);
        for (int j = 0; j < mlp.length; j++) {
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray h = z.add(norm1[j].forward(z));
                z = h.add(mlp[j].forward(norm2[j].forward(h)));
                NDScope.unregister(z);
            }
        }
        return pred.forward(norm.forward(z));
    }
}
