package ai.aim4j.arrow.transform;

/**
 * Bicubic resampling of an image region as Pillow does it ({@code Image.resize(size, BICUBIC, box)},
 * which torchvision uses on PIL images): a separable cubic filter with {@code a = -0.5}, widened by
 * the scale factor when shrinking (antialiasing), weights normalized per output pixel, applied
 * horizontally then vertically with 8-bit rounding in between. Pillow computes in fixed point, this in
 * double precision, so a value may differ from Pillow's by one level.
 */
public final class Resampler {
    private static final double A = -0.5;

    private Resampler() {}

    /** Per output pixel: the first source index and the normalized weights. */
    record Coefficients(int[] first, double[][] weights) {}

    static double cubic(double x) {
        x = Math.abs(x);
        if (x < 1) {
            return ((A + 2) * x - (A + 3)) * x * x + 1;
        }
        if (x < 2) {
            return (((x - 5) * x + 8) * x - 4) * A;
        }
        return 0;
    }

    /** Coefficients mapping source span {@code [start, end)} of a {@code size}-pixel axis to {@code out} pixels. */
    static Coefficients coefficients(int size, double start, double end, int out) {
        double scale = (end - start) / out;
        double filterScale = Math.max(scale, 1.0);
        double support = 2.0 * filterScale;
        int[] first = new int[out];
        double[][] weights = new double[out][];
        for (int i = 0; i < out; i++) {
            double center = start + (i + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(center - support + 0.5));
            int hi = Math.min(size, (int) Math.floor(center + support + 0.5));
            if (hi <= lo) {
                lo = Math.min(Math.max(0, (int) center), size - 1);
                hi = lo + 1;
            }
            double[] w = new double[hi - lo];
            double sum = 0;
            for (int k = 0; k < w.length; k++) {
                w[k] = cubic((lo + k - center + 0.5) / filterScale);
                sum += w[k];
            }
            for (int k = 0; k < w.length; k++) {
                w[k] = sum == 0 ? 1.0 / w.length : w[k] / sum;
            }
            first[i] = lo;
            weights[i] = w;
        }
        return new Coefficients(first, weights);
    }

    /**
     * Resamples the box {@code (x0, y0, x1, y1)} of {@code img} to {@code outH x outW}, clamping each
     * value to [0, 255] and rounding as Pillow stores 8-bit results; returns HWC floats in 0..255.
     */
    public static float[] resize(Image img, double x0, double y0, double x1, double y1, int outH, int outW) {
        Coefficients cx = coefficients(img.width(), x0, x1, outW);
        Coefficients cy = coefficients(img.height(), y0, y1, outH);
        int c = img.channels();
        // Only the source rows the vertical pass reads need the horizontal pass.
        int rowLo = cy.first()[0];
        int rowHi = cy.first()[outH - 1] + cy.weights()[outH - 1].length;
        float[] tmp = new float[(rowHi - rowLo) * outW * c];
        for (int y = rowLo; y < rowHi; y++) {
            for (int x = 0; x < outW; x++) {
                double[] w = cx.weights()[x];
                int base = cx.first()[x];
                for (int ch = 0; ch < c; ch++) {
                    double s = 0;
                    for (int k = 0; k < w.length; k++) {
                        s += w[k] * img.value(((long) y * img.width() + base + k) * c + ch);
                    }
                    // Pillow keeps the intermediate image in 8 bits.
                    tmp[((y - rowLo) * outW + x) * c + ch] = clampRound(s);
                }
            }
        }
        float[] out = new float[outH * outW * c];
        for (int y = 0; y < outH; y++) {
            double[] w = cy.weights()[y];
            int base = cy.first()[y] - rowLo;
            for (int x = 0; x < outW; x++) {
                for (int ch = 0; ch < c; ch++) {
                    double s = 0;
                    for (int k = 0; k < w.length; k++) {
                        s += w[k] * tmp[((base + k) * outW + x) * c + ch];
                    }
                    out[(y * outW + x) * c + ch] = clampRound(s);
                }
            }
        }
        return out;
    }

    private static float clampRound(double v) {
        return (float) Math.min(255, Math.max(0, Math.floor(v + 0.5)));
    }
}
