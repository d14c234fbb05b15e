package ai.aim4j.model.nn;

import static ai.djl.nn.core.Linear.linear;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Patch embedding: a convolution with kernel = stride = patch size, computed as what it is for
 * non-overlapping patches (cut the image into patches, one linear map with bias), then LayerNorm.
 * Tokens come out in row-major grid order, {@code n = r * gw + c}.
 */
public final class PatchEmbed extends Layer {
    private final Parameter weight;
    private final Parameter bias;
    private final LayerNorm norm;
    private final int ph;
    private final int pw;

    public PatchEmbed(int channels, int ph, int pw, long dim, double eps) {
        this.weight = parameter("proj.weight", Kind.CONV_WEIGHT, Init.XAVIER_UNIFORM, dim, channels, ph, pw);
        this.bias = parameter("proj.bias", Kind.BIAS, Init.ZEROS, dim);
        this.norm = layer("norm", new LayerNorm(dim, eps));
        this.ph = ph;
        this.pw = pw;
    }

    /** {@code (B, C, H, W)} images to {@code (B, N, D)} normalized tokens. */
    public NDArray forward(NDArray images) {
        long[] s = images.getShape().getShape();
        long b = s[0];
        long c = s[1];
        long gh = s[2] / ph;
        long gw = s[3] / pw;
        NDArray patches = images.reshape(b, c, gh, ph, gw, pw)
                .transpose(0, 2, 4, 1, 3, 5)
                .reshape(b, gh * gw, c * ph * pw);
        // (D, C, ph, pw) -> (D, C*ph*pw): the conv's flattened input order is channel, row, column. The view is
        // taken per call so autograd sees it, and belongs to the caller's manager so it is freed with the call.
        NDArray w = weight.value();
        NDArray flat = w.reshape(w.getShape().get(0), c * ph * pw);
        NDManager call = images.getManager();
        flat.attach(call);
        NDArray tokens = linear(Autocast.operand(patches, call), Autocast.operand(flat, call), Autocast.operand(bias.value(), call))
                .singletonOrThrow();
        return norm.forward(tokens);
    }
}
