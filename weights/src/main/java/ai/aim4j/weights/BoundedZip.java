package ai.aim4j.weights;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * A zip archive read over a memory map of its file, each entry only as far as the file can justify
 * it: a stored entry must lie inside the file; a deflated one must declare no more bytes than deflate
 * can produce from its compressed ones, and is inflated to exactly that and at most once; and no two
 * entries read may share bytes of the file, as those of a well-formed archive never do (else a small
 * file could list one deflated entry a thousand times). Only stored and deflated entries are read
 * ({@code torch.save} stores, {@code np.savez_compressed} deflates).
 */
final class BoundedZip implements AutoCloseable {
    /**
     * Deflate's best case is a 258-byte match coded in two bits (one-bit length and distance codes),
     * so one compressed byte never inflates to more than 4 x 258 bytes.
     */
    static final long MAX_DEFLATE_RATIO = 4 * 258;

    /** The longest array every JVM allocates (some reserve a few header words of the int range). */
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 8;
    private static final int CHUNK = 1 << 16;

    /** Makes the caller's format exception for a problem with the file. */
    @FunctionalInterface
    interface Refusal {
        IOException of(Path file, String problem, Throwable cause);
    }

    private final Path file;
    private final FileChannel channel;
    private final ZipFile zip;
    private final MemorySegment mapped;
    private final Arena arena;
    private final Refusal refusal;
    private final Map<String, MemorySegment> read = new HashMap<>();
    /** The entries read so far by the offset of their data, whose byte ranges are disjoint. */
    private final NavigableMap<Long, ZipArchiveEntry> claimed = new TreeMap<>();

    private BoundedZip(Path file, FileChannel channel, ZipFile zip, MemorySegment mapped, Arena arena, Refusal refusal) {
        this.file = file;
        this.channel = channel;
        this.zip = zip;
        this.mapped = mapped;
        this.arena = arena;
        this.refusal = refusal;
    }

    /**
     * Opens {@code file}, mapping it into {@code arena} (which also receives inflated entries);
     * {@code expected} names what the archive should be, for the error when it is not a zip.
     */
    static BoundedZip open(Path file, Arena arena, Refusal refusal, String expected) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        try {
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            ZipFile zip;
            try {
                zip = ZipFile.builder().setSeekableByteChannel(channel).setIgnoreLocalFileHeader(false).get();
            } catch (IOException | RuntimeException e) {
                // A damaged central directory may fail any way the zip library's parser does.
                throw refusal.of(file, "not a readable zip archive (" + e.getMessage() + "): truncated, or not " + expected, e);
            }
            return new BoundedZip(file, channel, zip, mapped, arena, refusal);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The entries in the order of the central directory. */
    List<ZipArchiveEntry> entries() {
        return Collections.list(zip.getEntries());
    }

    /** The entry of that name, or null. */
    ZipArchiveEntry entry(String name) {
        return zip.getEntry(name);
    }

    /**
     * The entry's bytes: a slice of the mapped file when stored, else inflated into the arena, once
     * however often it is asked for.
     */
    MemorySegment contents(ZipArchiveEntry entry) throws IOException {
        MemorySegment done = read.get(entry.getName());
        if (done != null) {
            return done;
        }
        claim(entry);
        MemorySegment bytes;
        if (entry.getMethod() == ZipArchiveEntry.STORED) {
            bytes = mapped.asSlice(entry.getDataOffset(), entry.getSize());
        } else {
            bytes = arena.allocate(Math.max(entry.getSize(), 1), 64).asSlice(0, entry.getSize());
            inflate(entry, bytes);
        }
        read.put(entry.getName(), bytes);
        return bytes;
    }

    /** A copy of the entry's bytes on the heap, for parsers that take arrays. */
    byte[] bytes(ZipArchiveEntry entry) throws IOException {
        claim(entry);
        if (entry.getSize() > MAX_ARRAY) {
            throw refuse("entry " + entry.getName() + " has " + entry.getSize() + " bytes, more than one array can hold");
        }
        if (entry.getMethod() == ZipArchiveEntry.STORED) {
            return mapped.asSlice(entry.getDataOffset(), entry.getSize()).toArray(ValueLayout.JAVA_BYTE);
        }
        byte[] out = new byte[(int) entry.getSize()];
        inflate(entry, MemorySegment.ofArray(out));
        return out;
    }

    /** Checks every entry of a set against the file (sizes, bounds, no shared bytes) before any of them is read. */
    void claimAll(List<ZipArchiveEntry> entries) throws IOException {
        for (ZipArchiveEntry e : entries) {
            claim(e);
        }
    }

    /** Checks what the entry declares against the file before anything is allocated for it. */
    private void claim(ZipArchiveEntry entry) throws IOException {
        String name = entry.getName();
        long size = entry.getSize();
        long packed = entry.getCompressedSize();
        long offset = entry.getDataOffset();
        if (size < 0 || packed < 0) {
            throw refuse("entry " + name + " declares no size");
        }
        if (offset < 0 || packed > mapped.byteSize() - offset) {
            throw refuse("entry " + name + " runs past the end of the file (truncated)");
        }
        switch (entry.getMethod()) {
            case ZipArchiveEntry.STORED -> {
                if (packed != size) {
                    throw refuse("stored entry " + name + " declares " + size + " bytes but occupies " + packed);
                }
            }
            case ZipArchiveEntry.DEFLATED -> {
                // One compressed byte of slack, so that rounding at the stream's end never refuses a valid entry.
                if (size > Math.multiplyExact(packed + 1, MAX_DEFLATE_RATIO)) {
                    throw refuse("entry " + name + " declares " + size + " bytes from " + packed + " compressed ones,"
                            + " more than deflate can produce (" + MAX_DEFLATE_RATIO + " per byte at most)");
                }
            }
            default -> throw refuse("entry " + name + " is compressed with zip method " + entry.getMethod()
                    + "; only stored and deflated entries are read");
        }
        if (packed == 0 || claimed.get(offset) == entry) {
            return;
        }
        // The ranges read so far are disjoint: only the last one starting before this one ends can overlap it.
        Map.Entry<Long, ZipArchiveEntry> before = claimed.floorEntry(offset + packed - 1);
        if (before != null && before.getKey() + before.getValue().getCompressedSize() > offset) {
            throw refuse("entry " + name + " shares bytes with entry " + before.getValue().getName()
                    + " (refused: the entries of a well-formed archive never overlap)");
        }
        claimed.put(offset, entry);
    }

    /** Inflates the entry into {@code target}, which has the entry's declared size, refusing any other size. */
    private void inflate(ZipArchiveEntry entry, MemorySegment target) throws IOException {
        long got = 0;
        boolean more;
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] chunk = new byte[CHUNK];
            while (got < target.byteSize()) {
                int n = in.read(chunk, 0, (int) Math.min(CHUNK, target.byteSize() - got));
                if (n < 0) {
                    break;
                }
                MemorySegment.copy(chunk, 0, target, ValueLayout.JAVA_BYTE, got, n);
                got += n;
            }
            more = got == target.byteSize() && in.read() >= 0;
        } catch (IOException e) {
            throw refusal.of(file, "entry " + entry.getName() + " does not inflate (" + e.getMessage() + ")", e);
        }
        if (got < target.byteSize() || more) {
            throw refuse("entry " + entry.getName() + " inflates to " + (more ? "more than" : "only " + got + " of")
                    + " its declared " + target.byteSize() + " bytes");
        }
    }

    private IOException refuse(String problem) {
        return refusal.of(file, problem, null);
    }

    @Override
    public void close() throws IOException {
        try (channel) {
            zip.close();
        }
    }
}
