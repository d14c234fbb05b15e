package ai.aim4j.arrow.transform;

import java.awt.Color;
import java.util.SplittableRandom;

/**
 * torchvision's ColorJitter(0.4, 0.4, 0.2, 0.1) on an RGB image of 0..255 floats: brightness,
 * contrast, saturation and hue factors drawn uniformly, applied in a random order, clamped to 0..255.
 */
final class ColorJitter {
    private ColorJitter() {}

    static void apply(float[] rgb, int pixels, SplittableRandom rng) {
        double brightness = rng.nextDouble(0.6, 1.4);
        double contrast = rng.nextDouble(0.6, 1.4);
        double saturation = rng.nextDouble(0.8, 1.2);
        double hue = rng.nextDouble(-0.1, 0.1);
        int[] order = {0, 1, 2, 3};
        for (int i = 3; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int op : order) {
            switch (op) {
                case 0 -> blend(rgb, pixels, brightness, 0);
                case 1 -> blend(rgb, pixels, contrast, meanGray(rgb, pixels));
                case 2 -> saturate(rgb, pixels, saturation);
                default -> shiftHue(rgb, pixels, hue);
            }
        }
    }

    private static float gray(float[] p, int i) {
        return 0.299f * p[3 * i] + 0.587f * p[3 * i + 1] + 0.114f * p[3 * i + 2];
    }

    private static double meanGray(float[] p, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += gray(p, i);
        }
        return s / n;
    }

    /** {@code factor * x + (1 - factor) * other}, clamped. */
    private static void blend(float[] p, int n, double factor, double other) {
        for (int i = 0; i < 3 * n; i++) {
            p[i] = clamp(factor * p[i] + (1 - factor) * other);
        }
    }

    private static void saturate(float[] p, int n, double factor) {
        for (int i = 0; i < n; i++) {
            float g = gray(p, i);
            for (int c = 0; c < 3; c++) {
                p[3 * i + c] = clamp(factor * p[3 * i + c] + (1 - factor) * g);
            }
        }
    }

    private static void shiftHue(float[] p, int n, double shift) {
        float[] hsv = new float[3];
        for (int i = 0; i < n; i++) {
            Color.RGBtoHSB(Math.round(p[3 * i]), Math.round(p[3 * i + 1]), Math.round(p[3 * i + 2]), hsv);
            float h = (float) ((hsv[0] + shift) % 1.0 + 1.0) % 1.0f;
            int rgb = Color.HSBtoRGB(h, hsv[1], hsv[2]);
            p[3 * i] = (rgb >> 16) & 0xff;
            p[3 * i + 1] = (rgb >> 8) & 0xff;
            p[3 * i + 2] = rgb & 0xff;
        }
    }

    private static float clamp(double v) {
        return (float) Math.min(255, Math.max(0, v));
    }
}
