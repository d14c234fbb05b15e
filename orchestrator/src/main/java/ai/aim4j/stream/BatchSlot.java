package ai.aim4j.stream;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.transform.Transform;
import ai.aim4j.interop.worker.TensorFileLayout;
import ai.aim4j.interop.worker.TensorSpec;
import ai.aim4j.model.tensor.DType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;

/**
 * One batch as a tensor file written in place into a ring slot: {@code images} (float32
 * {@code (N, C, H, W)}, or uint8 {@code (N, H, W, C)} untransformed), {@code labels} (int32),
 * {@code ids} and {@code epochs} (int64, the epoch each sample was drawn in), and the schema
 * metadata {@code step}, {@code cursor_epoch} and {@code cursor_position} (where a stream resumes
 * after this batch), {@code skipped} (undecodable samples left out), {@code seed}, {@code rank},
 * {@code world}. Every tensor starts on a 64-byte boundary of the slot.
 */
final class BatchSlot {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final DType pixelType;
    private final int[] imageShape;
    private final long slotBytes;

    BatchSlot(Transform transform, int batchSize) {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalStateException("tensor files are little-endian and the loader writes native order: a big-endian machine is not supported");
        }
        this.pixelType = transform.valueBytes() == 1 ? DType.U8 : DType.F32;
        this.imageShape = transform.outputShape();
        // The widest metadata values bound every batch's frame, so each batch's file fits the slot.
        String widest = Long.toString(Long.MIN_VALUE);
        this.slotBytes = layout(batchSize, metadata(widest, widest, widest, widest, widest, widest, widest)).size();
    }

    /** Bytes of a slot: a full batch's file with the longest metadata. */
    long slotBytes() {
        return slotBytes;
    }

    /** Writes {@code batch} as the {@code step}-th batch of the stream at the start of {@code slot}; returns the file's length. */
    long write(Batch batch, long step, StreamSettings s, MemorySegment slot) {
        int n = batch.size();
        TensorFileLayout layout = layout(n, metadata(Long.toString(step), Long.toString(batch.cursorAfter().epoch()),
                Long.toString(batch.cursorAfter().position()), Integer.toString(batch.skipped()), Long.toString(s.seed()),
                Integer.toString(s.rank()), Integer.toString(s.world())));
        MemorySegment file = slot.asSlice(0, layout.size());
        layout.writeFrame(file);
        layout.tensor(file, "images").copyFrom(batch.pixels());
        MemorySegment labels = layout.tensor(file, "labels");
        MemorySegment ids = layout.tensor(file, "ids");
        MemorySegment epochs = layout.tensor(file, "epochs");
        int[] l = batch.labels();
        long[] id = batch.ids();
        long[] e = batch.epochs();
        for (int i = 0; i < n; i++) {
            labels.setAtIndex(I32, i, l[i]);
            ids.setAtIndex(I64, i, id[i]);
            epochs.setAtIndex(I64, i, e[i]);
        }
        return layout.size();
    }

    private TensorFileLayout layout(int n, Map<String, String> metadata) {
        long[] images = new long[imageShape.length + 1];
        images[0] = n;
        for (int d = 0; d < imageShape.length; d++) {
            images[d + 1] = imageShape[d];
        }
        SequencedMap<String, TensorSpec> specs = new LinkedHashMap<>();
        specs.put("images", new TensorSpec(pixelType, images));
        specs.put("labels", new TensorSpec(DType.I32, new long[] {n}));
        specs.put("ids", new TensorSpec(DType.I64, new long[] {n}));
        specs.put("epochs", new TensorSpec(DType.I64, new long[] {n}));
        return TensorFileLayout.of(specs, metadata);
    }

    private static Map<String, String> metadata(String step, String cursorEpoch, String cursorPosition, String skipped, String seed, String rank,
                                                String world) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("cursor_epoch", cursorEpoch);
        m.put("cursor_position", cursorPosition);
        m.put("skipped", skipped);
        m.put("seed", seed);
        m.put("rank", rank);
        m.put("world", world);
        return m;
    }
}
