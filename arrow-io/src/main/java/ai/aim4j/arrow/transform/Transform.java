package ai.aim4j.arrow.transform;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;

/**
 * Turns one decoded image into the model's input: {@code C x H x W} float32 values written straight
 * into a batch buffer. Random choices come from the generator handed in, which the loader seeds from
 * {@code (seed, epoch, sample id)}, so a sample's pixels never depend on threads or timing.
 */
public interface Transform {
    ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    /** Output shape of one image: {@code (C, H, W)} for the float32 transforms. */
    int[] outputShape();

    /** Bytes of one output value: 4 for float32 (every transform but {@link RawPixels}). */
    default int valueBytes() {
        return 4;
    }

    /** Writes the transformed image at byte {@code offset} of {@code out}. */
    void apply(Image image, SplittableRandom rng, MemorySegment out, long offset);

    /**
     * Writes HWC 0..255 values (bytes or floats via {@code value}) as normalized CHW, expanding a
     * gray image to the output's channel count or taking the first channels (dropping alpha).
     */
    static void writeNormalized(int h, int w, int inChannels, IntToDoubleFunction value, Normalization norm,
                                MemorySegment out, long offset) {
        int c = norm.channels();
        if (inChannels != 1 && inChannels < c) {
            throw new IllegalArgumentException("cannot make " + c + " channels from an image of " + inChannels);
        }
        for (int ch = 0; ch < c; ch++) {
            int src = inChannels == 1 ? 0 : ch;
            float scale = 1f / (255f * norm.std()[ch]);
            float shift = norm.mean()[ch] / norm.std()[ch];
            long plane = offset + (long) ch * h * w * 4;
            for (int p = 0; p < h * w; p++) {
                out.set(F32, plane + p * 4L, (float) value.applyAsDouble(p * inChannels + src) * scale - shift);
            }
        }
    }
}
