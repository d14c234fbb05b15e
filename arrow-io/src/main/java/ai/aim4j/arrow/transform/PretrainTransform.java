package ai.aim4j.arrow.transform;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * The AIM pre-training augmentation of the ml-l3m recipe: RandomResizedCrop (scale 0.4-1.0, ratio
 * 3/4-4/3, bicubic), a horizontal flip with probability 1/2, and optionally ColorJitter with
 * probability 0.8 (brightness 0.4, contrast 0.4, saturation 0.2, hue 0.1), then normalization.
 * The crop follows torchvision's sampling: up to ten tries of (area, log-ratio), then a central fallback.
 */
public record PretrainTransform(int size, Normalization norm, boolean colorJitter) implements Transform {
    private static final double SCALE_MIN = 0.4;
    private static final double SCALE_MAX = 1.0;
    private static final double LOG_RATIO_MIN = Math.log(3.0 / 4.0);
    private static final double LOG_RATIO_MAX = Math.log(4.0 / 3.0);

    @Override
    public int[] outputShape() {
        return new int[] {norm.channels(), size, size};
    }

    @Override
    public void apply(Image image, SplittableRandom rng, MemorySegment out, long offset) {
        int[] box = cropBox(image.height(), image.width(), rng);
        float[] px = Resampler.resize(image, box[1], box[0], box[1] + box[3], box[0] + box[2], size, size);
        int c = image.channels();
        if (rng.nextDouble() < 0.5) {
            flip(px, size, c);
        }
        if (colorJitter && c == 3 && rng.nextDouble() < 0.8) {
            ColorJitter.apply(px, size * size, rng);
        }
        Transform.writeNormalized(size, size, c, i -> px[i], norm, out, offset);
    }

    /** {@code (top, left, height, width)} of the crop, as torchvision's RandomResizedCrop.get_params. */
    static int[] cropBox(int h, int w, SplittableRandom rng) {
        double area = (double) h * w;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * rng.nextDouble(SCALE_MIN, SCALE_MAX);
            double ratio = Math.exp(rng.nextDouble(LOG_RATIO_MIN, LOG_RATIO_MAX));
            int cw = (int) Math.round(Math.sqrt(target * ratio));
            int ch = (int) Math.round(Math.sqrt(target / ratio));
            if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
                int top = rng.nextInt(h - ch + 1);
                int left = rng.nextInt(w - cw + 1);
                return new int[] {top, left, ch, cw};
            }
        }
        double inRatio = (double) w / h;
        int cw;
        int ch;
        if (inRatio < 3.0 / 4.0) {
            cw = w;
            ch = (int) Math.round(w / (3.0 / 4.0));
        } else if (inRatio > 4.0 / 3.0) {
            ch = h;
            cw = (int) Math.round(h * (4.0 / 3.0));
        } else {
            cw = w;
            ch = h;
        }
        return new int[] {(h - ch) / 2, (w - cw) / 2, ch, cw};
    }

    private static void flip(float[] px, int size, int c) {
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size / 2; x++) {
                for (int ch = 0; ch < c; ch++) {
                    int a = (y * size + x) * c + ch;
                    int b = (y * size + size - 1 - x) * c + ch;
                    float t = px[a];
                    px[a] = px[b];
                    px[b] = t;
                }
            }
        }
    }
}
