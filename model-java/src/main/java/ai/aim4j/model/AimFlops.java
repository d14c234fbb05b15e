package ai.aim4j.model;

/**
 * Floating-point operations of the model's matrix products (2 per multiply-add), the usual basis of
 * achieved-FLOP/s and model-FLOP-utilization figures. Element-wise work (norms, GELU, softmax) is
 * left out, as is customary.
 */
public final class AimFlops {
    private AimFlops() {}

    /** Per image: patch embedding, every block, and the attention-pooling head. */
    public static double forwardPerImage(AimConfig c) {
        double n = c.numPatches();
        double d = c.dim();
        double m = c.mlpHidden();
        double patch = 2 * n * c.patchValues() * d;
        double block = 2 * n * d * 3 * d // qkv
                + 2 * 2 * n * n * d      // q k^T and attn v
                + 2 * n * d * d          // proj
                + 2 * 2 * n * d * m;     // fc1, fc2
        double head = 2 * 2 * n * d * d + 2 * 2 * c.headQueries() * n * d + 2 * d * c.numClasses();
        return patch + c.blocks() * block + head;
    }
}
