package ai.aim4j.arrow.transform;

import java.util.Arrays;

/**
 * Per-channel {@code (x / 255 - mean) / std}, the last step of every transform.
 *
 * @param mean per output channel
 * @param std  per output channel
 */
public record Normalization(float[] mean, float[] std) {
    /** ImageNet statistics, as ml-aim's transforms use. */
    public static final Normalization IMAGENET = new Normalization(new float[] {0.485f, 0.456f, 0.406f}, new float[] {0.229f, 0.224f, 0.225f});

    public Normalization {
        if (mean.length != std.length || mean.length == 0) {
            throw new IllegalArgumentException("mean and std need one value per channel");
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** ImageNet statistics for 3 channels; their average for any other count. */
    public static Normalization imagenetFor(int channels) {
        if (channels == 3) {
            return IMAGENET;
        }
        float[] m = new float[channels];
        float[] s = new float[channels];
        Arrays.fill(m, (0.485f + 0.456f + 0.406f) / 3);
        Arrays.fill(s, (0.229f + 0.224f + 0.225f) / 3);
        return new Normalization(m, s);
    }

    public int channels() {
        return mean.length;
    }
}
