package ai.aim4j.cli;

import ai.aim4j.arrow.Sampler;
import ai.aim4j.data.BatchTensors;
import ai.aim4j.stream.SlotRing;
import ai.aim4j.stream.StreamEngine;
import ai.aim4j.stream.StreamSettings;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aim4j stream}: the pre-training loader's batches into shared memory for another process (Python's JavaLoader). */
@Command(name = "stream", mixinStandardHelpOptions = true,
        description = "Stream the pre-training loader's batches (the trainer's, bit for bit, for the same seed, rank and world) into a ring of"
                + " shared-memory slots; standard output announces the ring and each filled slot (one JSON object per line), standard"
                + " input takes 'release SLOT' lines and its end stops the stream. Python: aim4j.data.JavaLoader.")
final class StreamCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, description = "dataset folder")
    Path data;

    @Option(names = "--batch-size", required = true, description = "images per batch (this rank's share of a global batch)")
    int batchSize;

    @Option(names = "--transform", defaultValue = "pretrain",
            description = "pretrain (the trainer's augmentation), eval (resize and center crop) or none (stored uint8 HWC pixels); default: ${DEFAULT-VALUE}")
    String transform;

    @Option(names = "--augment", defaultValue = "auto",
            description = "the trainer's --augment for --transform pretrain: auto, none, rrc, rrc+jitter (default: ${DEFAULT-VALUE})")
    String augment;

    @Option(names = "--image-size", description = "output side in pixels (default: the stored images' size; 224 for encoded images)")
    Integer imageSize;

    @Option(names = "--channels", description = "output channels (default: the stored images'; 3 for encoded images)")
    Integer channels;

    @Option(names = "--seed", defaultValue = "0", description = "order and augmentation seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--rank", defaultValue = "0", description = "this consumer's rank (default: ${DEFAULT-VALUE})")
    int rank;

    @Option(names = "--world", defaultValue = "1", description = "number of ranks sharing the stream (default: ${DEFAULT-VALUE})")
    int world;

    @Option(names = "--threads", description = "decoding threads (default: every core but one)")
    Integer threads;

    @Option(names = "--steps", description = "batches to deliver (default: endless)")
    Long steps;

    @Option(names = "--cursor", defaultValue = "0:0", description = "EPOCH:POSITION of the first sample: a batch's cursor resumes after it"
            + " (default: ${DEFAULT-VALUE})")
    String cursor;

    @Option(names = "--slots", defaultValue = "4", description = "ring slots: batches in flight between the processes (default: ${DEFAULT-VALUE})")
    int slots;

    @Option(names = "--shm", description = "folder of the ring's private folder (default: /dev/shm)")
    Path shm;

    StreamSettings settings() {
        return new StreamSettings(data, batchSize, transform, augment, imageSize, channels, seed, rank, world,
                threads != null ? threads : BatchTensors.loaderThreads(), steps, parseCursor(cursor), slots, shm != null ? shm : SlotRing.DEFAULT_ROOT);
    }

    private static Sampler.Cursor parseCursor(String flag) {
        String[] parts = flag.split(":");
        if (parts.length != 2 || !parts[0].matches("[0-9]+") || !parts[1].matches("[0-9]+")) {
            throw new IllegalArgumentException("--cursor must be EPOCH:POSITION (two non-negative integers), got " + flag);
        }
        return new Sampler.Cursor(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    }

    @Override
    public Integer call() throws Exception {
        StreamSettings settings = settings();
        // Standard output carries the protocol alone: anything else printed goes to standard error.
        OutputStream protocol = new FileOutputStream(FileDescriptor.out);
        System.setOut(System.err);
        new StreamEngine(settings, line -> System.err.println("aim4j: " + line)).run(System.in, protocol);
        return 0;
    }
}
