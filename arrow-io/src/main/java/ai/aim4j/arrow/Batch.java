package ai.aim4j.arrow;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;

/**
 * One batch of model input: {@code size} images as float32 {@code (N, C, H, W)} (or what the
 * transform makes, e.g. {@link ai.aim4j.arrow.transform.RawPixels}' uint8 {@code (N, H, W, C)}) in a native buffer
 * that the loader reuses (a tensor engine can wrap {@link #buffer()} without copying), with the
 * samples' labels and ids and the sampler cursor after the batch. Close it to hand the buffer back.
 */
public final class Batch implements AutoCloseable {
    private final MemorySegment pixels;
    private final int[] shape;
    private final long imageBytes;
    private final int size;
    private final int[] labels;
    private final long[] ids;
    private final long[] epochs;
    private final int skipped;
    private final Sampler.Cursor cursorAfter;
    private final Consumer<MemorySegment> recycle;
    private boolean closed;

    Batch(MemorySegment pixels, int[] imageShape, long imageBytes, int size, int[] labels, long[] ids, long[] epochs, int skipped, Sampler.Cursor cursorAfter,
          Consumer<MemorySegment> recycle) {
        this.epochs = epochs;
        this.pixels = pixels;
        this.shape = new int[] {size, imageShape[0], imageShape[1], imageShape[2]};
        this.imageBytes = imageBytes;
        this.size = size;
        this.labels = labels;
        this.ids = ids;
        this.skipped = skipped;
        this.cursorAfter = cursorAfter;
        this.recycle = recycle;
    }

    /** Images delivered (the requested batch size less undecodable samples skipped). */
    public int size() {
        return size;
    }

    /** {@code (N, C, H, W)}, or {@code N} and the transform's output shape. */
    public int[] shape() {
        return shape.clone();
    }

    /** The pixels of the delivered images, native memory, float32 in native byte order (bytes for raw pixels). */
    public MemorySegment pixels() {
        return pixels.asSlice(0, size * imageBytes);
    }

    /** {@link #pixels()} as a direct buffer, for {@code NDManager.create(buffer, shape)} without a copy. */
    public ByteBuffer buffer() {
        return pixels().asByteBuffer().order(ByteOrder.nativeOrder());
    }

    public int[] labels() {
        return labels.clone();
    }

    public long[] ids() {
        return ids.clone();
    }

    /** The epoch each delivered sample was drawn in (a batch can straddle two). */
    public long[] epochs() {
        return epochs.clone();
    }

    /** Samples of this batch that could not be decoded and were left out. */
    public int skipped() {
        return skipped;
    }

    /** Where a resumed run continues: the sample after this batch's last. */
    public Sampler.Cursor cursorAfter() {
        return cursorAfter;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            recycle.accept(pixels);
        }
    }
}
