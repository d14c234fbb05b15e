package ai.aim4j.arrow.transform;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/**
 * ml-aim's evaluation transform: resize the short side to {@code ceil(S / 0.875)} (bicubic, with
 * Pillow's antialiasing), center-crop {@code S x S}, normalize. The resize and the crop are done in
 * one resampling of the crop's source box.
 */
public record EvalTransform(int size, Normalization norm) implements Transform {
    private static final double CROP_FRACTION = 0.875;

    @Override
    public int[] outputShape() {
        return new int[] {norm.channels(), size, size};
    }

    @Override
    public void apply(Image image, SplittableRandom rng, MemorySegment out, long offset) {
        int h = image.height();
        int w = image.width();
        int shortTarget = (int) Math.ceil(size / CROP_FRACTION);
        // torchvision: the long side becomes int(short_target * long / short).
        int newH = h <= w ? shortTarget : (int) ((long) shortTarget * h / w);
        int newW = h <= w ? (int) ((long) shortTarget * w / h) : shortTarget;
        int top = (int) Math.round((newH - size) / 2.0);
        int left = (int) Math.round((newW - size) / 2.0);
        // The crop window of the resized image, mapped back to source coordinates.
        double sy = (double) h / newH;
        double sx = (double) w / newW;
        float[] px = Resampler.resize(image, left * sx, top * sy, (left + size) * sx, (top + size) * sy, size, size);
        Transform.writeNormalized(size, size, image.channels(), i -> px[i], norm, out, offset);
    }
}
