package ai.aim4j.weights;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import ai.aim4j.files.FileTrees;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged and hostile orbax checkpoints, each made from a valid one by one change: every one is
 * refused with one line naming a file of the checkpoint and the problem, within a second and without
 * allocating what it declares (terabytes, in some).
 */
class OrbaxHostileTest {
    /** Refusing reads a few small JSON files; the largest allocation is the 1 MiB decompression buffer. */
    private static final long MAX_ALLOCATED_BYTES = 16L << 20;
    private static final long MAX_MILLIS = 1000;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The array the changes are made to: 5x7 float32, written in 1x4 chunks (so chunk files 0.0 to 4.1). */
    private static final String KERNEL = "params.trunk.layers_0.kernel";

    @TempDir
    Path dir;

    /** One change to a valid checkpoint, and a phrase its refusal must contain. */
    private record Change(String name, String problem, Mutation mutation) {}

    @FunctionalInterface
    private interface Mutation {
        void apply(Path checkpoint) throws IOException;
    }

    private static final List<Change> CHANGES = List.of(
            new Change("no-metadata", "has no _METADATA", c -> Files.delete(c.resolve("_METADATA"))),
            new Change("metadata-not-json", "is not valid JSON", c -> Files.writeString(c.resolve("_METADATA"), "{\"tree_metadata\": ")),
            new Change("metadata-huge", "more than", c -> sparse(c.resolve("_METADATA"), 100L << 20)),
            new Change("leaf-not-an-array", "not an array", c -> editMetadata(c, leaf -> leaf.with("value_metadata").put("value_type", "string"))),
            new Change("key-with-separator", "cannot name an array folder", c -> editMetadata(c,
                    leaf -> ((ObjectNode) leaf.withArray("key_metadata").get(0)).put("key", "../../outside"))),
            new Change("dot-dot-folder", "outside the checkpoint", c -> editMetadata(c, leaf -> {
                ArrayNode keys = leaf.withArray("key_metadata");
                keys.removeAll();
                keys.addObject().put("key", "..").put("key_type", 2);
            })),
            new Change("folder-is-a-link", "symbolic link", c -> {
                FileTrees.delete(c.resolve(KERNEL));
                Files.createSymbolicLink(c.resolve(KERNEL), c.resolve("params.trunk.pos"));
            }),
            new Change("missing-zarray", ".zarray: is missing", c -> Files.delete(c.resolve(KERNEL).resolve(".zarray"))),
            new Change("zarray-not-json", "is not valid JSON", c -> Files.writeString(c.resolve(KERNEL).resolve(".zarray"), "[1, 2")),
            new Change("zarr-v3-header", "zarr_format", c -> editZarray(c, z -> z.put("zarr_format", 3))),
            new Change("big-endian", "not supported", c -> editZarray(c, z -> z.put("dtype", ">f4"))),
            new Change("blosc", "compressor", c -> editZarray(c, z -> z.putObject("compressor").put("id", "blosc"))),
            new Change("negative-dimension", "not an integer >= 0", c -> editZarray(c, z -> z.set("shape", ints(-5, 7)))),
            new Change("zero-chunk", "not an integer >= 1", c -> editZarray(c, z -> z.set("chunks", ints(0, 4)))),
            new Change("chunks-of-other-rank", "rank", c -> editZarray(c, z -> z.set("chunks", ints(4)))),
            new Change("missing-chunk", "is missing: chunk", c -> Files.delete(c.resolve(KERNEL).resolve("3.1"))),
            new Change("chunks-larger-than-stored", "holds only", c -> editZarray(c, z -> z.set("chunks", ints(1, 5)))),
            new Change("chunks-smaller-than-stored", "holds more than", c -> editZarray(c, z -> {
                z.set("shape", ints(5, 6));
                z.set("chunks", ints(1, 3));
            })),
            new Change("bad-zstd-frame", "not a valid zstd frame", c -> Files.write(c.resolve(KERNEL).resolve("0.0"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8})),
            new Change("truncated-zstd-frame", "not a valid zstd frame", c -> {
                Path chunk = c.resolve(KERNEL).resolve("0.1");
                byte[] b = Files.readAllBytes(chunk);
                Files.write(chunk, Arrays.copyOf(b, b.length - 4));
            }),
            new Change("terabyte-chunk", "cannot hold", c -> editZarray(c, z -> {
                z.set("shape", ints(1L << 38, 4));
                z.set("chunks", ints(1L << 38, 4));
            })),
            new Change("trillion-chunks", "needs 1099511627776 chunk files", c -> editZarray(c, z -> {
                z.set("shape", ints(1L << 40));
                z.set("chunks", ints(1));
            })),
            new Change("shape-overflows", "overflows a long", c -> editZarray(c, z -> z.set("shape", ints(1L << 40, 1L << 40)))));

    @TestFactory
    Stream<DynamicTest> everyDamagedCheckpointIsRefusedInOneLineNamingTheFile() throws IOException {
        Path valid = dir.resolve("valid");
        var sample = new LinkedHashMap<>(OrbaxTest.sample());
        sample.keySet().retainAll(List.of("params/trunk/layers_0/kernel", "params/trunk/pos"));
        OrbaxPlainWriter.write(valid, sample, 16);
        return CHANGES.stream().map(change -> dynamicTest(change.name(), () -> {
            Path c = dir.resolve(change.name());
            copy(valid, c);
            change.mutation().apply(c);
            assertRefused(c, change);
        }));
    }

    private static void assertRefused(Path checkpoint, Change change) {
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> WeightFiles.read(Path.of(Orbax.PREFIX + checkpoint)).close());
        long millis = (System.nanoTime() - start) / 1_000_000;
        long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        String msg = e.getMessage();
        assertTrue(msg.startsWith(checkpoint.toString()), msg);
        assertTrue(msg.contains(change.problem()), "expected '" + change.problem() + "' in: " + msg);
        assertTrue(msg.lines().count() == 1, "one line: " + msg);
        assertTrue(millis < MAX_MILLIS, change.name() + " took " + millis + " ms");
        assertTrue(allocated < MAX_ALLOCATED_BYTES, change.name() + " allocated " + (allocated >> 20) + " MiB");
        System.out.printf("%-28s refused in %3d ms, %5d KiB allocated: %s%n", change.name(), millis, allocated >> 10,
                msg.substring(checkpoint.toString().length()));
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Files.copy(p, to.resolve(from.relativize(p).toString()));
            }
        }
    }

    private static ArrayNode ints(long... values) {
        ArrayNode a = JSON.createArrayNode();
        Arrays.stream(values).forEach(a::add);
        return a;
    }

    @FunctionalInterface
    private interface Edit {
        void apply(ObjectNode node);
    }

    private static void editZarray(Path checkpoint, Edit edit) throws IOException {
        Path file = checkpoint.resolve(KERNEL).resolve(".zarray");
        ObjectNode z = (ObjectNode) JSON.readTree(file.toFile());
        edit.apply(z);
        JSON.writeValue(file.toFile(), z);
    }

    /** Edits the kernel's leaf of {@code _METADATA}. */
    private static void editMetadata(Path checkpoint, Edit edit) throws IOException {
        Path file = checkpoint.resolve("_METADATA");
        JsonNode root = JSON.readTree(file.toFile());
        for (var leaf : root.get("tree_metadata").properties()) {
            if (leaf.getKey().contains("layers_0")) {
                edit.apply((ObjectNode) leaf.getValue());
            }
        }
        JSON.writeValue(file.toFile(), root);
    }

    private static void sparse(Path file, long bytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(bytes);
        }
    }
}
