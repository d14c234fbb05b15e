package ai.aim4j.weights;

import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * Reads orbax's plain layout in Java: each leaf of {@code _METADATA} is a zarr v2 array in the folder
 * named by its keys joined with dots. Every array's header and chunk files are checked against each
 * other before the first byte is allocated; then each chunk is decompressed into the array's memory.
 */
final class OrbaxPlainReader {
    /** A {@code .zarray} is a few hundred bytes. */
    private static final long MAX_HEADER_BYTES = 1 << 20;

    /** One array, checked and ready to read: its header, byte size, grid and chunk files in grid order. */
    private record Planned(String name, ZarrHeader header, long bytes, ZarrChunkGrid grid, List<Path> chunkFiles) {}

    private OrbaxPlainReader() {}

    /** The arrays of {@code dir} (whose metadata is {@code metadata}), keyed by their {@code /}-joined key paths. */
    static NamedTensors read(Path dir, OrbaxMetadata metadata) throws IOException {
        List<Planned> plan = new ArrayList<>();
        for (List<String> path : metadata.paths()) {
            plan.add(plan(dir, path));
        }
        Arena arena = Arena.ofShared();
        try {
            SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
            for (Planned p : plan) {
                MemorySegment data = arena.allocate(Math.max(p.bytes(), 1), 64).asSlice(0, p.bytes());
                fill(p, data);
                out.put(p.name(), new HostTensor(p.header().dtype(), p.header().shape(), data));
            }
            return new NamedTensors(out, Map.of(), arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        } catch (OutOfMemoryError e) {
            arena.close();
            throw new CheckpointFormatException(dir, ResourceErrors.describe(e), e);
        }
    }

    private static Planned plan(Path dir, List<String> path) throws IOException {
        String name = String.join("/", path);
        Path folder = arrayFolder(dir, path);
        Path headerFile = folder.resolve(ZarrHeader.FILE);
        if (!Files.isRegularFile(headerFile, LinkOption.NOFOLLOW_LINKS)) {
            throw new CheckpointFormatException(headerFile, "is missing: array " + name + " of " + OrbaxMetadata.FILE
                    + " has no zarr v2 header (a partial copy of the checkpoint?)");
        }
        ZarrHeader header = ZarrHeader.parse(headerFile, OrbaxMetadata.readJson(headerFile, MAX_HEADER_BYTES));
        long bytes = DeclaredShape.byteSize(headerFile, "array " + name, header.shape(), header.dtype());
        ZarrChunkGrid grid = new ZarrChunkGrid(header.shape(), header.chunks(), header.dtype().byteSize());
        long count;
        long chunkBytes;
        try {
            count = grid.chunkCount();
            chunkBytes = grid.chunkBytes();
        } catch (ArithmeticException e) {
            throw new CheckpointFormatException(headerFile, "chunks " + Arrays.toString(header.chunks()) + " over shape "
                    + Arrays.toString(header.shape()) + " overflow a long");
        }
        long present = countEntries(folder);
        if (count > present) {
            throw new CheckpointFormatException(folder, "holds " + present + " files, but array " + name + " of shape "
                    + Arrays.toString(header.shape()) + " in chunks " + Arrays.toString(header.chunks()) + " needs " + count + " chunk files");
        }
        List<Path> chunkFiles = new ArrayList<>((int) count);
        for (long i = 0; i < count; i++) {
            Path chunk = folder.resolve(ZarrChunkGrid.key(grid.position(i), header.separator()));
            long size;
            try {
                if (!Files.isRegularFile(chunk, LinkOption.NOFOLLOW_LINKS)) {
                    throw new NoSuchFileException(chunk.toString());
                }
                size = Files.size(chunk);
            } catch (NoSuchFileException e) {
                throw new CheckpointFormatException(chunk, "is missing: chunk " + i + " of array " + name + " (a partial copy of the checkpoint?)");
            }
            String problem = ZarrChunkFile.sizeProblem(size, chunkBytes, header.zstd());
            if (problem != null) {
                throw new CheckpointFormatException(chunk, problem);
            }
            chunkFiles.add(chunk);
        }
        return new Planned(name, header, bytes, grid, chunkFiles);
    }

    /**
     * The folder of the array at {@code path}: orbax names it by the keys joined with dots. A key that
     * could lead elsewhere (a separator, an empty or dot-only name, a link) is refused.
     */
    static Path arrayFolder(Path dir, List<String> path) throws CheckpointFormatException {
        String folderName = String.join(".", path);
        for (String key : path) {
            if (key.isEmpty() || key.indexOf('/') >= 0 || key.indexOf('\\') >= 0 || key.indexOf('\0') >= 0) {
                throw new CheckpointFormatException(dir.resolve(OrbaxMetadata.FILE), "key '" + key + "' of leaf "
                        + String.join("/", path) + " cannot name an array folder inside the checkpoint");
            }
        }
        if (folderName.equals(".") || folderName.equals("..")) {
            throw new CheckpointFormatException(dir.resolve(OrbaxMetadata.FILE), "leaf " + String.join("/", path) + " names the folder '"
                    + folderName + "', outside the checkpoint");
        }
        Path folder = dir.resolve(folderName);
        if (Files.isSymbolicLink(folder)) {
            throw new CheckpointFormatException(folder, "is a symbolic link; an array folder must lie inside the checkpoint");
        }
        return folder;
    }

    private static long countEntries(Path folder) throws IOException {
        long n = 0;
        try (DirectoryStream<Path> s = Files.newDirectoryStream(folder)) {
            for (Path ignored : s) {
                n++;
            }
        }
        return n;
    }

    private static void fill(Planned p, MemorySegment data) throws IOException {
        if (p.chunkFiles().isEmpty()) {
            return;
        }
        if (p.grid().isSingleWholeChunk()) {
            ZarrChunkFile.read(p.chunkFiles().getFirst(), p.header().zstd(), data);
            return;
        }
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment chunk = scratch.allocate(p.grid().chunkBytes(), 64);
            for (int i = 0; i < p.chunkFiles().size(); i++) {
                ZarrChunkFile.read(p.chunkFiles().get(i), p.header().zstd(), chunk);
                p.grid().scatter(chunk, p.grid().position(i), data);
            }
        }
    }
}
