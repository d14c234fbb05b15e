package ai.aim4j.weights;

import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdIOException;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reading one chunk file of a zarr array into memory: a zstd frame decompressed to exactly the
 * chunk's size, or raw bytes of exactly that size.
 */
final class ZarrChunkFile {
    /**
     * The most bytes zstd can restore from one compressed byte: a raw-literal-repeating (RLE) block
     * holds up to 128 KiB of output in 4 bytes (a 3-byte block header and the byte), and no zstd
     * construct does better. A chunk file that claims more than this ratio cannot be genuine.
     */
    static final long ZSTD_MAX_RATIO = 128 * 1024 / 4;
    private static final int BUFFER_BYTES = 1 << 20;

    private ZarrChunkFile() {}

    /**
     * Whether a file of {@code fileBytes} can hold a chunk of {@code chunkBytes}: checked for every
     * chunk before anything is allocated for the array.
     */
    static String sizeProblem(long fileBytes, long chunkBytes, boolean zstd) {
        if (zstd) {
            return fileBytes > 0 && chunkBytes / fileBytes <= ZSTD_MAX_RATIO ? null
                    : "a zstd chunk of " + fileBytes + " bytes cannot hold the " + chunkBytes + " bytes the array's chunk shape declares"
                    + " (zstd expands at most " + ZSTD_MAX_RATIO + " times)";
        }
        return fileBytes == chunkBytes ? null
                : "an uncompressed chunk has " + fileBytes + " bytes, the array's chunk shape needs " + chunkBytes;
    }

    /** Fills {@code into} (exactly the chunk's size) from {@code file}. */
    static void read(Path file, boolean zstd, MemorySegment into) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = zstd ? new ZstdInputStreamNoFinalizer(raw) : raw) {
            byte[] buffer = new byte[(int) Math.min(BUFFER_BYTES, Math.max(into.byteSize(), 1))];
            long filled = 0;
            while (filled < into.byteSize()) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, into.byteSize() - filled));
                if (n < 0) {
                    throw new CheckpointFormatException(file, "chunk holds only " + filled + " of the " + into.byteSize()
                            + " bytes its array's chunk shape needs (truncated?)");
                }
                MemorySegment.copy(MemorySegment.ofArray(buffer), 0, into, filled, n);
                filled += n;
            }
            if (in.read() >= 0) {
                throw new CheckpointFormatException(file, "chunk holds more than the " + into.byteSize() + " bytes its array's chunk shape needs");
            }
        } catch (ZstdIOException | ZstdException e) {
            throw new CheckpointFormatException(file, "chunk is not a valid zstd frame (" + e.getMessage() + ")");
        }
    }
}
