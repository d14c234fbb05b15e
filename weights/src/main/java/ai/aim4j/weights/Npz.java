package ai.aim4j.weights;

import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.model.tensor.TensorSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;

/** NumPy {@code .npz} archives ({@code np.savez} and {@code np.savez_compressed}): named .npy arrays in a zip. */
public final class Npz {
    private Npz() {}

    /**
     * Reads every array; names lose their {@code .npy} suffix, as {@code np.load} presents them.
     * Entries are read through {@link BoundedZip}, so a compressed archive inflates only as far as its
     * compressed bytes can justify.
     */
    public static NamedTensors read(Path file) throws IOException {
        SequencedMap<String, HostTensor> arrays = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined();
             BoundedZip zip = BoundedZip.open(file, arena, CheckpointFormatException::new, "a .npz archive")) {
            List<ZipArchiveEntry> npys = zip.entries().stream().filter(e -> !e.isDirectory() && e.getName().endsWith(".npy")).toList();
            // Every array is checked against the file before the first is inflated: a hostile listing costs nothing.
            zip.claimAll(npys);
            for (ZipArchiveEntry e : npys) {
                String name = e.getName().substring(0, e.getName().length() - 4);
                arrays.put(name, Npy.parse(Path.of(file + ":" + e.getName()), zip.bytes(e)));
            }
        } catch (OutOfMemoryError | StackOverflowError e) {
            throw new CheckpointFormatException(file, ResourceErrors.describe(e), e);
        }
        return NamedTensors.inMemory(arrays);
    }

    /** Writes an uncompressed archive (as {@code np.savez} does), atomically. */
    public static void write(Path file, SequencedMap<String, ? extends TensorSource> arrays) throws IOException {
        AtomicFiles.write(file, ch -> {
            ZipOutputStream zip = new ZipOutputStream(Channels.newOutputStream(ch));
            for (var e : arrays.entrySet()) {
                byte[] bytes = Npy.toBytes(e.getValue());
                ZipEntry entry = new ZipEntry(e.getKey() + ".npy");
                entry.setMethod(ZipEntry.STORED);
                entry.setSize(bytes.length);
                CRC32 crc = new CRC32();
                crc.update(bytes);
                entry.setCrc(crc.getValue());
                zip.putNextEntry(entry);
                zip.write(bytes);
                zip.closeEntry();
            }
            zip.finish();
            zip.flush();
        });
    }
}
