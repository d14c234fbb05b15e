package ai.aim4j.model.layers;

import ai.djl.ndarray.NDArray;

/**
 * Patch embedding: a convolution with kernel = stride = patch size, written as what it is for
 * non-overlapping patches (cut the image into patches, apply one linear map with bias), followed by
 * LayerNorm. Tokens come out in row-major grid order, {@code n = r * gw + c}.
 */
public final class PatchEmbed {
    private final NDArray weight;
    private final NDArray bias;
    private final LayerNorm norm;
    private final int ph;
    private final int pw;

    /** Reads {@code proj.weight (D, C, ph, pw)}, {@code proj.bias} and {@code norm.*} under {@code p}. */
    public PatchEmbed(Params p, double eps) {
        this.weight = p.get("proj.weight");
        long[] s = weight.getShape().getShape();
        this.ph = (int) s[2];
        this.pw = (int) s[3];
        this.bias = p.get("proj.bias");
        this.norm = new LayerNorm(p.at("norm"), eps);
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
        NDArray flat = weight.reshape(weight.getShape().get(0), c * ph * pw);
        flat.attach(images.getManager());
        NDArray tokens = ai.djl.nn.core.Linear.linear(patches, flat, bias).singletonOrThrow();
        return norm.forward(tokens);
    }
}
