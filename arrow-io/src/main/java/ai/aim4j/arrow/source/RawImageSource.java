package ai.aim4j.arrow.source;

import ai.aim4j.arrow.DatasetInfo;
import ai.aim4j.arrow.ShardSchema.Encoding;

/** A source of raw HWC uint8 images of one fixed shape; subclasses only say how to get sample {@code i}. */
public abstract class RawImageSource implements ImageSource {
    private final DatasetInfo info;
    private final long size;
    private final int[] shape;

    protected RawImageSource(DatasetInfo info, long size, int height, int width, int channels) {
        this.info = info;
        this.size = size;
        this.shape = new int[] {height, width, channels};
    }

    @Override
    public final DatasetInfo info() {
        return info;
    }

    @Override
    public final long size() {
        return size;
    }

    @Override
    public final Encoding encoding() {
        return Encoding.RAW;
    }

    @Override
    public final int[] rawShape() {
        return shape.clone();
    }

    /** Bytes per image, H * W * C. */
    protected final int imageBytes() {
        return shape[0] * shape[1] * shape[2];
    }
}
