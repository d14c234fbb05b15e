package ai.aim4j.arrow.transform;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A decoded image: {@code height x width x channels} unsigned bytes in HWC order, in any memory (a
 * slice of a mapped shard for raw data, so reading it copies nothing).
 */
public record Image(int height, int width, int channels, MemorySegment pixels) {
    public Image {
        if ((long) height * width * channels != pixels.byteSize()) {
            throw new IllegalArgumentException("image of " + height + "x" + width + "x" + channels + " needs "
                    + (long) height * width * channels + " bytes, got " + pixels.byteSize());
        }
    }

    /** The value at byte index {@code i} of the HWC layout, 0..255. */
    public int value(long i) {
        return Byte.toUnsignedInt(pixels.get(ValueLayout.JAVA_BYTE, i));
    }
}
