package ai.aim4j.arrow.transform;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * No geometry change: the image must already have the model's size (raw shards of the model's
 * geometry, e.g. 28x28 Fashion-MNIST); pixels are normalized and written CHW. The fast path.
 */
public record ToTensor(int height, int width, Normalization norm) implements Transform {
    @Override
    public int[] outputShape() {
        return new int[] {norm.channels(), height, width};
    }

    @Override
    public void apply(Image image, SplittableRandom rng, MemorySegment out, long offset) {
        if (image.height() != height || image.width() != width) {
            throw new IllegalArgumentException("image of " + image.height() + "x" + image.width() + " where the model takes "
                    + height + "x" + width + " (choose a resizing transform)");
        }
        Transform.writeNormalized(height, width, image.channels(), image::value, norm, out, offset);
    }
}
