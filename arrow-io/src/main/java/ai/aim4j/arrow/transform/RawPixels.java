package ai.aim4j.arrow.transform;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * No transform at all: the decoded image's uint8 pixels, HWC, as stored. Every image must have the
 * one shape given (a batch is one array), which raw shards guarantee and encoded ones may not.
 */
public record RawPixels(int height, int width, int channels) implements Transform {
    @Override
    public int[] outputShape() {
        return new int[] {height, width, channels};
    }

    @Override
    public int valueBytes() {
        return 1;
    }

    @Override
    public void apply(Image image, SplittableRandom rng, MemorySegment out, long offset) {
        if (image.height() != height || image.width() != width || image.channels() != channels) {
            throw new IllegalArgumentException("image of " + image.height() + "x" + image.width() + "x" + image.channels()
                    + " where untransformed batches hold " + height + "x" + width + "x" + channels
                    + " (images of several sizes need a resizing transform)");
        }
        MemorySegment.copy(image.pixels(), 0, out, offset, image.pixels().byteSize());
    }
}
