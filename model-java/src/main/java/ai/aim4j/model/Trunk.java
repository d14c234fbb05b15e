package ai.aim4j.model;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Block;
import ai.aim4j.model.nn.Layer;
import ai.aim4j.model.nn.LayerNorm;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * The AIM trunk, ml-aim's {@code Transformer}: pre-norm blocks, bidirectional or prefix-causal under
 * a mask ({@link PrefixCausalMask}), and the post-trunk LayerNorm. Shared by the inference model
 * (probe head) and the pre-training model (pixel head).
 */
public final class Trunk extends Layer {
    private final Block[] blocks;
    private final LayerNorm postTrunkNorm;

    /** The blocks and the post-trunk norm of {@code c}, their parameters not yet initialized. */
    public Trunk(AimConfig c) {
        this.blocks = new Block[c.blocks()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = layer("blocks." + i, new Block(c.dim(), c.heads(), c.mlpHidden(), c.useBias(), c.layerNormEps()));
        }
        this.postTrunkNorm = layer("post_trunk_norm", new LayerNorm(c.dim(), c.layerNormEps()));
    }

    /** Outputs of blocks {@code 0..last} from the first block's input {@code x}; {@code mask} null or additive. */
    public NDList blocks(NDArray x, int last, NDArray mask) {
        return blocks(x, last, mask, null);
    }

    /**
     * As {@link #blocks(NDArray, int, NDArray)}, block {@code last} computing its output at
     * {@code lastRows} only ({@link ai.aim4j.model.nn.TokenRows}, {@code (M, D)}; null: every token).
     */
    public NDList blocks(NDArray x, int last, NDArray mask, NDArray lastRows) {
        NDList outputs = new NDList();
        for (int i = 0; i <= last; i++) {
            x = blocks[i].forward(x, mask, i == last ? lastRows : null);
            outputs.add(x);
        }
        return outputs;
    }

    /** The number of blocks. */
    public int depth() {
        return blocks.length;
    }

    /** The LayerNorm after the last block. */
    public NDArray postTrunkNorm(NDArray x) {
        return postTrunkNorm.forward(x);
    }
}
