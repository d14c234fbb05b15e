package ai.aim4j.stream;

import ai.aim4j.files.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A ring of equally sized slot files ({@code slot-0} ... {@code slot-K-1}) in a private folder
 * (mode 0700) under a shared-memory root, each mapped once. A slot is either free or held by the
 * consumer; the producer takes a free one (waiting while the ring is full) and the consumer gives it
 * back. Closing deletes the folder; a mapping stays valid after its file is deleted, so a consumer's
 * last batch outlives the producer.
 */
public final class SlotRing implements AutoCloseable {
    /** The default root: Linux's shared-memory filesystem, where the slots' pages never touch a disk. */
    public static final Path DEFAULT_ROOT = Path.of("/dev/shm");

    private final Path dir;
    private final long slotBytes;
    private final MemorySegment[] slots;
    private final BlockingQueue<Integer> free;
    private final Arena arena = Arena.ofShared();
    /** Deletes the folder if the process is ended (SIGTERM, SIGINT) before {@link #close()}. */
    private final Thread cleanup;

    /** Creates {@code count} slots of {@code slotBytes} in a new folder under {@code root}. */
    public SlotRing(Path root, int count, long slotBytes) throws IOException {
        if (count < 2) {
            throw new IllegalArgumentException("a ring needs at least 2 slots (one being read, one being filled), got " + count);
        }
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("no folder " + root + " for the batch slots (choose one with --shm)");
        }
        this.dir = Files.createTempDirectory(root, "aim4j-stream-");
        this.cleanup = new Thread(this::deleteFolder, "aim4j-stream-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        this.slotBytes = slotBytes;
        this.slots = new MemorySegment[count];
        this.free = new ArrayBlockingQueue<>(count);
        try {
            for (int i = 0; i < count; i++) {
                try (FileChannel ch = FileChannel.open(slot(i), StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    slots[i] = ch.map(FileChannel.MapMode.READ_WRITE, 0, slotBytes, arena);
                }
                free.add(i);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The ring's folder. */
    public Path dir() {
        return dir;
    }

    public int count() {
        return slots.length;
    }

    public long slotBytes() {
        return slotBytes;
    }

    /** Slot {@code i}'s file. */
    public Path slot(int i) {
        return dir.resolve("slot-" + i);
    }

    /** A free slot's index, waiting until the consumer gives one back. */
    public int take() throws InterruptedException {
        return free.take();
    }

    /** Slot {@code i}'s mapped memory. */
    public MemorySegment segment(int i) {
        return slots[i];
    }

    /** Gives slot {@code i} back; a slot that is not held is refused. */
    public void release(int i) {
        if (i < 0 || i >= slots.length) {
            throw new IllegalArgumentException("no slot " + i + " in a ring of " + slots.length);
        }
        synchronized (free) {
            if (free.contains(i)) {
                throw new IllegalArgumentException("slot " + i + " released but not held");
            }
            free.add(i);
        }
    }

    private void deleteFolder() {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException alreadyExiting) {
            // The hook is running or about to: it deletes the folder.
        }
        deleteFolder();
        arena.close();
    }
}
