package ai.aim4j.model.layers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The AIM trunk: patch embedding with its LayerNorm, plus the position table, then pre-norm blocks
 * (bidirectional, or prefix-causal with a mask) and the post-trunk LayerNorm. Shared by the
 * inference model (probe head) and the pre-training model (pixel head).
 */
public final class Trunk {
    private final PatchEmbed patchEmbed;
    private final NDArray posEmbed;
    private final Block[] blocks;
    private final LayerNorm postTrunkNorm;

    /**
     * @param p        parameters under ml-aim's internal names ({@code preprocessor.patchifier.*},
     *                 {@code trunk.blocks.i.*}, {@code trunk.post_trunk_norm.*})
     * @param posEmbed the {@code (N, D)} position table
     */
    public Trunk(Params p, NDArray posEmbed, int blocks, int heads, double eps) {
        this.patchEmbed = new PatchEmbed(p.at("preprocessor.patchifier"), eps);
        this.posEmbed = posEmbed;
        this.blocks = new Block[blocks];
        for (int i = 0; i < blocks; i++) {
            this.blocks[i] = new Block(p.at("trunk.blocks." + i), heads, eps);
        }
        this.postTrunkNorm = new LayerNorm(p.at("trunk.post_trunk_norm"), eps);
    }

    public NDArray posEmbed() {
        return posEmbed;
    }

    /** Patch embedding and its LayerNorm, before the position table. */
    public NDArray patchifierTokens(NDArray images) {
        return patchEmbed.forward(images);
    }

    /** The input of block 0. */
    public NDArray patchTokens(NDArray images) {
        return patchifierTokens(images).add(posEmbed);
    }

    /** Outputs of blocks {@code 0..last} from the block-0 input {@code x}; {@code mask} null or additive. */
    public NDList blocks(NDArray x, int last, NDArray mask) {
        NDList outputs = new NDList();
        for (int i = 0; i <= last; i++) {
            x = blocks[i].forward(x, mask);
            outputs.add(x);
        }
        return outputs;
    }

    public int depth() {
        return blocks.length;
    }

    public NDArray postTrunkNorm(NDArray x) {
        return postTrunkNorm.forward(x);
    }
}
