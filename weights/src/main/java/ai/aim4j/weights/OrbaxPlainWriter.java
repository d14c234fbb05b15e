package ai.aim4j.weights;

import ai.aim4j.files.AtomicFiles;
import ai.aim4j.files.AtomicFolders;
import ai.aim4j.model.tensor.TensorSource;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.luben.zstd.ZstdCompressCtx;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.SequencedMap;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes orbax's plain layout: for each tensor a zarr v2 folder ({@code .zarray} and zstd chunks, as
 * tensorstore writes them for orbax), then {@code _METADATA} declaring a tree of NumPy arrays. The
 * whole folder is written beside the target and renamed into place.
 */
final class OrbaxPlainWriter {
    /**
     * The largest chunk written. orbax writes a NumPy array as one chunk; splitting large ones keeps
     * the writer's memory (one chunk and its compressed form) bounded, and tensorstore reads them alike.
     */
    static final long MAX_CHUNK_BYTES = 64L << 20;
    /** Keys that name a folder unambiguously (no dots: orbax joins keys with them) and need no quoting. */
    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9_-]+");
    private static final ObjectMapper JSON = new ObjectMapper();

    private OrbaxPlainWriter() {}

    /** Writes {@code flat}, keyed by {@code /}-joined tree paths, as the checkpoint folder {@code dir}. */
    static void write(Path dir, SequencedMap<String, ? extends TensorSource> flat, long maxChunkBytes) throws IOException {
        List<List<String>> paths = treePaths(dir, flat.sequencedKeySet());
        checkReplaceable(dir);
        AtomicFolders.write(dir, tmp -> {
            try (ZstdCompressCtx zstd = new ZstdCompressCtx()) {
                zstd.setLevel(ZarrHeader.ZSTD_LEVEL);
                int i = 0;
                for (TensorSource t : flat.values()) {
                    writeArray(tmp.resolve(String.join(".", paths.get(i++))), t, maxChunkBytes, zstd);
                }
            }
            AtomicFiles.writeBytes(tmp.resolve(OrbaxMetadata.FILE), OrbaxMetadata.plainJson(paths));
        });
    }

    /** The names split into key paths, each key a plain word, no leaf also the root of a subtree. */
    private static List<List<String>> treePaths(Path dir, Iterable<String> names) {
        List<List<String>> paths = new ArrayList<>();
        Set<String> subtrees = new HashSet<>();
        Set<String> leaves = new HashSet<>();
        for (String name : names) {
            List<String> path = List.of(name.split("/", -1));
            if (!path.stream().allMatch(k -> KEY.matcher(k).matches())) {
                throw new IllegalArgumentException(dir + ": tensor name " + name + " is not a /-joined path of letters, digits, '_' and '-'");
            }
            for (int i = 1; i < path.size(); i++) {
                subtrees.add(String.join("/", path.subList(0, i)));
            }
            leaves.add(name);
            paths.add(path);
        }
        leaves.retainAll(subtrees);
        if (!leaves.isEmpty()) {
            throw new IllegalArgumentException(dir + ": " + leaves.iterator().next() + " is both a tensor and a subtree of the tree");
        }
        return paths;
    }

    /** An existing checkpoint is replaced, an empty folder filled; anything else is left alone. */
    private static void checkReplaceable(Path dir) throws IOException {
        if (!Files.exists(dir) || Files.exists(dir.resolve(OrbaxMetadata.FILE))) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new CheckpointFormatException(dir, "exists and is not a folder; an orbax checkpoint is a folder");
        }
        try (Stream<Path> entries = Files.list(dir)) {
            if (entries.findAny().isPresent()) {
                throw new CheckpointFormatException(dir, "is a folder holding files but no orbax checkpoint; refusing to replace it");
            }
        }
    }

    private static void writeArray(Path folder, TensorSource t, long maxChunkBytes, ZstdCompressCtx zstd) throws IOException {
        long[] shape = t.shape();
        ZarrHeader header = new ZarrHeader(t.dtype(), shape, chunkShape(shape, t.dtype().byteSize(), maxChunkBytes), true, '.');
        Files.createDirectory(folder);
        AtomicFiles.writeBytes(folder.resolve(ZarrHeader.FILE), JSON.writeValueAsBytes(header.toJson()));
        ZarrChunkGrid grid = new ZarrChunkGrid(shape, header.chunks(), t.dtype().byteSize());
        MemorySegment data = t.bytes();
        if (grid.isSingleWholeChunk()) {
            AtomicFiles.writeBytes(folder.resolve(ZarrChunkGrid.key(new long[shape.length], '.')), zstd.compress(data.toArray(ValueLayout.JAVA_BYTE)));
            return;
        }
        byte[] chunk = new byte[(int) grid.chunkBytes()];
        for (long i = 0; i < grid.chunkCount(); i++) {
            long[] position = grid.position(i);
            grid.gather(data, position, MemorySegment.ofArray(chunk));
            AtomicFiles.writeBytes(folder.resolve(ZarrChunkGrid.key(position, '.')), zstd.compress(chunk));
        }
    }

    /**
     * The whole array when it fits {@code maxBytes}; else whole trailing axes as far as they fit, a
     * block of the next axis, and single indices of the leading ones.
     */
    static long[] chunkShape(long[] shape, int elementBytes, long maxBytes) {
        long[] chunks = new long[shape.length];
        Arrays.fill(chunks, 1);
        long inner = elementBytes;
        for (int i = shape.length - 1; i >= 0; i--) {
            long d = Math.max(shape[i], 1);
            if (d > maxBytes / inner) {
                chunks[i] = Math.max(1, maxBytes / inner);
                break;
            }
            chunks[i] = d;
            inner *= d;
        }
        return chunks;
    }
}
