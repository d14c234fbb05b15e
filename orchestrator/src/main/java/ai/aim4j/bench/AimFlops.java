package ai.aim4j.bench;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.config.PretrainConfig;

/**
 * Floating-point operations of the model's matrix products (2 per multiply-add), the usual basis of
 * achieved-FLOP/s and model-FLOP-utilization figures. Element-wise work (norms, GELU, softmax) is
 * left out, as is customary.
 */
public final class AimFlops {
    private AimFlops() {}

    /** Per image: patch embedding, every block, and the attention-pooling head as ml-aim computes it. */
    public static double forwardPerImage(AimConfig c) {
        return trunkPerImage(c) + mlAimHead(c).forward();
    }

    /** Per image, aim4j's forward pass: as {@link #forwardPerImage}, with aim4j's head ({@link #aimHead}). */
    public static double aimForwardPerImage(AimConfig c) {
        return trunkPerImage(c) + aimHead(c).forward();
    }

    /** Per image, a training step of ml-aim's probe head on frozen features ({@link Head#frozenStep}). */
    public static double probeStepPerImage(AimConfig c) {
        return mlAimHead(c).frozenStep();
    }

    /** Per image, a training step of aim4j's probe head on frozen features. */
    public static double aimProbeStepPerImage(AimConfig c) {
        return aimHead(c).frozenStep();
    }

    /** A probe head's products per image: those with the features as an operand, and the rest. */
    private record Head(double readingFeatures, double rest) {
        double forward() {
            return readingFeatures + rest;
        }

        /**
         * Training on frozen features: a product reading them runs twice (forward, and the gradient of
         * its other operand; the features take none), every other product three times.
         */
        double frozenStep() {
            return 2 * readingFeatures + 3 * rest;
        }
    }

    /** ml-aim's head: keys and values of every token, the pooling against them, the classifier. */
    private static Head mlAimHead(AimConfig c) {
        double n = c.numPatches();
        double d = c.dim();
        return new Head(2 * 2 * n * d * d, 2 * 2 * c.headQueries() * n * d + 2 * d * c.numClasses());
    }

    /**
     * aim4j's head ({@code AttentionPoolingProbe}): the key map folded into the queries and the value
     * map applied to the pooled rows, so scores and pooling against the H Q queried keys, then the value
     * map on H Q rows and the classifier. The queried keys themselves are computed once a batch and
     * left out.
     */
    private static Head aimHead(AimConfig c) {
        double n = c.numPatches();
        double d = c.dim();
        double rows = (double) c.headHeads() * c.headQueries();
        return new Head(2 * 2 * n * d * rows, 2 * c.headQueries() * d * d + 2 * d * c.numClasses());
    }

    /** Per image, pre-training forward: the trunk and the pixel head (projection, MLP blocks, prediction). */
    public static double pretrainForwardPerImage(PretrainConfig c) {
        return trunkPerImage(c.trunk()) + pixelHeadPerImage(c);
    }

    /**
     * A training step: each forward product again twice in the backward pass (the gradients of both
     * operands), but for the patch embedding, whose input (the images) takes no gradient.
     */
    public static double pretrainStepPerImage(PretrainConfig c) {
        return 3 * pretrainForwardPerImage(c) - patchEmbeddingPerImage(c.trunk());
    }

    /**
     * Per image, aim4j's training step ({@code AimPretraining.loss}): as {@link #pretrainStepPerImage},
     * but the last block's projection and MLP and the pixel head run on the scored positions only. A
     * prefix length uniform in {@code [1, N-1]} leaves {@code N/2} of the {@code N} positions scored on average.
     */
    public static double trainingStepPerImage(PretrainConfig c) {
        AimConfig t = c.trunk();
        double n = t.numPatches();
        double d = t.dim();
        double lastBlockAfterAttention = 2 * n * d * d + 2 * 2 * n * d * t.mlpHidden();
        return pretrainStepPerImage(c) - 3 * 0.5 * (lastBlockAfterAttention + pixelHeadPerImage(c));
    }

    private static double pixelHeadPerImage(PretrainConfig c) {
        double n = c.trunk().numPatches();
        double e = c.headWidth();
        return 2 * n * c.trunk().dim() * e + c.headBlocks() * 2 * 2 * n * e * e * c.headMlpRatio() + 2 * n * e * c.patchValues();
    }

    private static double patchEmbeddingPerImage(AimConfig c) {
        return 2.0 * c.numPatches() * c.patchValues() * c.dim();
    }

    private static double trunkPerImage(AimConfig c) {
        double n = c.numPatches();
        double d = c.dim();
        double m = c.mlpHidden();
        double block = 2 * n * d * 3 * d // qkv
                + 2 * 2 * n * n * d      // q k^T and attn v
                + 2 * n * d * d          // proj
                + 2 * 2 * n * d * m;     // fc1, fc2
        return patchEmbeddingPerImage(c) + c.blocks() * block;
    }
}
