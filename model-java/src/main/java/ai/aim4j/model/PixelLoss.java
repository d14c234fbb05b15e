package ai.aim4j.model;

import ai.aim4j.model.nn.Scalars;
import ai.aim4j.model.nn.TokenRows;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * AIM's normalized-pixel next-patch loss (ml-l3m's {@code RasterPixelLoss}): targets are the input
 * image's patches in {@code nchpwq -> nhwpqc} order (channel fastest), each normalized by its mean and
 * unbiased variance, {@code (t - mean) / sqrt(var + 1e-6)}; the prediction at position {@code i} is
 * scored against the target at {@code i + 1} by the mean squared error over the patch's values, and
 * the loss averages those terms over every predicted non-prefix position of the whole batch.
 */
public final class PixelLoss {
    private static final double NORM_EPS = 1e-6;

    private PixelLoss() {}

    /**
     * The pieces of one evaluation, for parity checks and metrics: {@code sum} is the masked sum of
     * the per-position terms and {@code count} their number, {@code loss = sum / count}.
     */
    public record Result(NDArray targets, NDArray perPosition, NDArray targetMask, NDArray sum, double count, NDArray loss) {}

    /** The loss as training takes it: the differentiable sum of the scored terms and their number, {@code loss = sum / count}. */
    public record Terms(NDArray sum, double count) {
        /** {@code sum / count}, differentiable. */
        public NDArray loss() {
            return sum.div(Scalars.of(sum, count));
        }
    }

    /** Patchified, per-patch normalized targets {@code (B, N, ph*pw*C)} of {@code (B, C, H, W)} images. */
    public static NDArray targets(NDArray images, int ph, int pw) {
        return normalized(patches(images, ph, pw));
    }

    /** The patches {@code (B, N, ph*pw*C)} of {@code (B, C, H, W)} images, each in {@code nhwpqc} order. */
    private static NDArray patches(NDArray images, int ph, int pw) {
        long[] s = images.getShape().getShape();
        long b = s[0];
        long c = s[1];
        long gh = s[2] / ph;
        long gw = s[3] / pw;
        return images.reshape(b, c, gh, ph, gw, pw).transpose(0, 2, 4, 3, 5, 1).reshape(b, gh * gw, ph * pw * c);
    }

    /** Each patch (the last axis) less its mean, over the square root of its unbiased variance plus eps. */
    private static NDArray normalized(NDArray patches) {
        long n = patches.getShape().get(patches.getShape().dimension() - 1);
        NDArray mean = patches.mean(new int[] {-1}, true);
        NDArray centered = patches.sub(mean);
        NDArray var = centered.square().sum(new int[] {-1}, true);
        var = var.div(Scalars.of(var, n - 1));
        return centered.div(var.add(NORM_EPS).sqrt());
    }

    /**
     * @param preds      {@code (B, N, P)} predictions
     * @param images     {@code (B, C, H, W)} normalized input images
     * @param prefixMask {@code (B, N)} booleans, true = not in the prefix
     */
    public static Result compute(NDArray preds, NDArray images, NDArray prefixMask, int ph, int pw) {
        long n = preds.getShape().get(1);
        NDArray targets = targets(images, ph, pw);
        NDArray diff = preds.get(":, :{}, :", n - 1).sub(targets.get(":, 1:, :"));
        NDArray perPosition = diff.square().mean(new int[] {-1});
        NDArray mask = prefixMask.get(":, 1:").toType(perPosition.getDataType(), false);
        NDArray count = mask.sum();
        double terms = count.toType(DataType.FLOAT64, false).getDouble();
        if (terms == 0) {
            throw new IllegalArgumentException("no non-prefix target in the batch: every prefix covers its whole image");
        }
        NDArray sum = perPosition.mul(mask).sum();
        return new Result(targets, perPosition, prefixMask.get(":, 1:"), sum, terms, sum.div(count));
    }

    /**
     * The loss terms of predictions made at the scored positions alone (see {@link ScoredPositions}):
     * the same terms {@link #compute} keeps from predictions at every position.
     *
     * @param preds  {@code (M, P)} predictions at {@code at.rows()}
     * @param images {@code (B, C, H, W)} normalized input images
     */
    public static Terms scored(NDArray preds, NDArray images, ScoredPositions at, int ph, int pw) {
        // Each patch is normalized on its own, so only the scored targets (about half) need it.
        NDArray targets = normalized(TokenRows.select(patches(images, ph, pw), at.targets()));
        return new Terms(preds.sub(targets).square().mean(new int[] {-1}).sum(), at.count());
    }
}
