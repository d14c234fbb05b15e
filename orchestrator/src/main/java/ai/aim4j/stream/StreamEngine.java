package ai.aim4j.stream;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.transform.RawPixels;
import ai.aim4j.arrow.transform.Transform;
import ai.aim4j.data.ModelInput;
import ai.aim4j.data.TrainingBatches;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.function.Consumer;

/**
 * Fills a {@link SlotRing} with the pre-training loader's batches ({@link TrainingBatches}, so they
 * are the trainer's for the same seed, rank, world and cursor) and announces each filled slot on
 * the control channel; waits while the consumer holds every slot; stops after the requested batches
 * or as soon as the consumer leaves.
 */
public final class StreamEngine {
    /** The control protocol's version, in the first line. */
    public static final int PROTOCOL = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StreamSettings s;
    private final Consumer<String> warn;

    /** @param warn where skipped (undecodable) samples are reported */
    public StreamEngine(StreamSettings settings, Consumer<String> warn) {
        this.s = settings;
        this.warn = warn;
    }

    /**
     * Streams batches, reading releases from {@code control} and writing the protocol's lines to
     * {@code announce}, until the requested batches are delivered or the consumer leaves.
     */
    public void run(InputStream control, OutputStream announce) throws IOException {
        try (ShardSet data = ShardSet.open(s.data())) {
            Transform transform = transform(data);
            BatchSlot layout = new BatchSlot(transform, s.batchSize());
            try (BatchLoader loader = TrainingBatches.open(data, transform, s.seed(), s.rank(), s.world(), s.from(), s.batchSize(), s.threads(), warn);
                 SlotRing ring = new SlotRing(s.shmRoot(), s.slots(), layout.slotBytes())) {
                ControlChannel channel = new ControlChannel(control, announce, ring, Thread.currentThread());
                try {
                    deliver(loader, ring, layout, channel);
                } catch (InterruptedException | RuntimeException e) {
                    if (channel.protocolError() != null) {
                        throw new IllegalStateException(channel.protocolError(), e);
                    }
                    if (!channel.consumerGone()) {
                        throw e instanceof RuntimeException r ? r : new IllegalStateException("interrupted", e);
                    }
                } finally {
                    // The consumer's leaving may have interrupted this thread; closing the loader waits for its pool.
                    Thread.interrupted();
                }
            }
        }
    }

    private void deliver(BatchLoader loader, SlotRing ring, BatchSlot layout, ControlChannel channel) throws InterruptedException {
        ObjectNode hello = JSON.createObjectNode();
        hello.put("protocol", PROTOCOL);
        hello.put("ring", ring.dir().toString());
        hello.put("slots", ring.count());
        hello.put("slot_bytes", ring.slotBytes());
        if (!channel.send(hello.toString())) {
            return;
        }
        long step = 0;
        for (; s.steps() == null || step < s.steps(); step++) {
            try (Batch batch = loader.next()) {
                int slot = ring.take();
                long bytes = layout.write(batch, step, s, ring.segment(slot));
                ObjectNode line = JSON.createObjectNode();
                line.put("slot", slot);
                line.put("bytes", bytes);
                line.put("step", step);
                if (!channel.send(line.toString())) {
                    return;
                }
            }
        }
        ObjectNode end = JSON.createObjectNode();
        end.put("end", step);
        channel.send(end.toString());
    }

    /** The transform {@code --transform} names, for the stored images' geometry unless a size or channel count is given. */
    Transform transform(ShardSet data) {
        int[] raw = data.encoding() == Encoding.RAW ? data.rawShape() : null;
        int[] img = s.imageSize() != null ? new int[] {s.imageSize(), s.imageSize()} : raw != null ? new int[] {raw[0], raw[1]} : new int[] {224, 224};
        int channels = s.channels() != null ? s.channels() : raw != null ? raw[2] : 3;
        return switch (s.transform()) {
            case "pretrain" -> ModelInput.transform(img, channels, data, s.augment(), true);
            case "eval" -> ModelInput.transform(img, channels, data, "none", false);
            default -> new RawPixels(img[0], img[1], channels);
        };
    }
}
