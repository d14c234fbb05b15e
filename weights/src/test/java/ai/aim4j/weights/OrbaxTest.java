package ai.aim4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.model.tensor.TensorSource;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Random;
import java.util.SequencedMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plain orbax layout written and read in Java: bits, chunking, atomic replacement, refusals. */
class OrbaxTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Random bits (NaN payloads included) in every element type a checkpoint can hold, scalars and empty arrays too. */
    static SequencedMap<String, HostTensor> sample() {
        Random random = new Random(7);
        SequencedMap<String, HostTensor> t = new LinkedHashMap<>();
        t.put("params/trunk/layers_0/kernel", random(random, DType.F32, 5, 7));
        t.put("params/trunk/pos", random(random, DType.F32, 2, 3, 5));
        t.put("params/half", random(random, DType.F16, 3, 4));
        t.put("params/brain", random(random, DType.BF16, 9));
        t.put("params/scalar", random(random, DType.F64));
        t.put("params/empty", random(random, DType.F32, 0, 3));
        t.put("batch_stats/count", random(random, DType.I64, 4));
        t.put("batch_stats/mask", random(random, DType.U8, 6));
        return t;
    }

    private static HostTensor random(Random random, DType dtype, long... shape) {
        byte[] bytes = new byte[(int) (HostTensor.numel(shape) * dtype.byteSize())];
        random.nextBytes(bytes);
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(bytes.length, 1), 8).asSlice(0, bytes.length);
        seg.copyFrom(MemorySegment.ofArray(bytes));
        return new HostTensor(dtype, shape, seg);
    }

    static void assertSameTensors(SequencedMap<String, HostTensor> expected, SequencedMap<String, HostTensor> actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        expected.forEach((name, e) -> {
            HostTensor a = actual.get(name);
            assertEquals(e.dtype(), a.dtype(), name);
            assertArrayEquals(e.shape(), a.shape(), name);
            assertArrayEquals(e.data().toArray(ValueLayout.JAVA_BYTE), a.data().toArray(ValueLayout.JAVA_BYTE), name);
        });
    }

    @Test
    void checkpointsReadBackBitForBitWholeAndInChunks() throws IOException {
        SequencedMap<String, HostTensor> t = sample();
        Path whole = dir.resolve("whole");
        Path chunked = dir.resolve("chunked");
        Orbax.write(Path.of(Orbax.PREFIX + whole), t);
        // 16-byte chunks: the 5x7 kernel in 1x4 chunks, two per row, the second padded (7 = 4 + 3).
        OrbaxPlainWriter.write(chunked, t, 16);
        for (Path d : List.of(whole, chunked)) {
            try (NamedTensors back = Orbax.read(d)) {
                assertSameTensors(t, back.tensors());
            }
        }
        Path kernel = chunked.resolve("params.trunk.layers_0.kernel");
        assertEquals("[1,4]", JSON.readTree(kernel.resolve(".zarray").toFile()).get("chunks").toString());
        try (Stream<Path> files = Files.list(kernel)) {
            assertEquals(5 * 2 + 1, files.count(), "ten chunks and the header");
        }
        assertEquals("[5,7]", JSON.readTree(whole.resolve("params.trunk.layers_0.kernel/.zarray").toFile()).get("chunks").toString());
        assertTrue(Files.isRegularFile(whole.resolve("params.trunk.layers_0.kernel/0.0")));
        assertTrue(Files.isRegularFile(whole.resolve("params.scalar/0")), "a 0-d array's one chunk is named 0");
    }

    @Test
    void chunksKeepWholeTrailingAxesUnderTheLimit() {
        assertArrayEquals(new long[] {64, 256}, OrbaxPlainWriter.chunkShape(new long[] {64, 256}, 4, 64L << 20));
        assertArrayEquals(new long[] {170, 1536}, OrbaxPlainWriter.chunkShape(new long[] {1000, 1536}, 4, 1 << 20));
        assertArrayEquals(new long[] {1, 1, 262144}, OrbaxPlainWriter.chunkShape(new long[] {2, 3, 5_000_000}, 4, 1 << 20));
        assertArrayEquals(new long[0], OrbaxPlainWriter.chunkShape(new long[0], 8, 16));
    }

    @Test
    void theFormatIsNamedByPrefixOrByItsMetadata() throws IOException {
        Path ckpt = dir.resolve("ckpt");
        Orbax.write(ckpt, sample());
        assertEquals(WeightFormat.ORBAX, WeightFormat.of(Path.of(Orbax.PREFIX + ckpt)));
        assertEquals(WeightFormat.ORBAX, WeightFormat.of(ckpt));
        assertEquals(OrbaxLayout.ZARR2, Orbax.layout(Path.of(Orbax.PREFIX + ckpt)));
        IOException e = assertThrows(IOException.class, () -> WeightFormat.of(dir));
        assertTrue(e.getMessage().contains("no orbax checkpoint"), e.getMessage());
    }

    @Test
    void aFailedWriteLeavesThePreviousCheckpointAsItWas() throws IOException {
        Path ckpt = dir.resolve("ckpt");
        SequencedMap<String, HostTensor> before = sample();
        Orbax.write(ckpt, before);
        SequencedMap<String, TensorSource> failing = new LinkedHashMap<>(sample());
        failing.put("params/broken", new TensorSource() {
            @Override
            public DType dtype() {
                return DType.F32;
            }

            @Override
            public long[] shape() {
                return new long[] {3};
            }

            @Override
            public MemorySegment bytes() {
                throw new IllegalStateException("source failed");
            }
        });
        assertThrows(IllegalStateException.class, () -> Orbax.write(ckpt, failing));
        try (NamedTensors back = Orbax.read(ckpt); Stream<Path> left = Files.list(dir)) {
            assertSameTensors(before, back.tensors());
            assertEquals(List.of(ckpt), left.toList(), "no temporary folder is left behind");
        }
        Orbax.write(ckpt, before);
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(ckpt), left.toList(), "the replaced checkpoint is gone once the new one is in place");
        }
    }

    @Test
    void anUnrelatedFolderIsNeverReplaced() throws IOException {
        Path mine = dir.resolve("mine");
        Files.createDirectories(mine);
        Files.writeString(mine.resolve("notes.txt"), "keep me");
        IOException e = assertThrows(IOException.class, () -> Orbax.write(mine, sample()));
        assertTrue(e.getMessage().startsWith(mine + ": ") && e.getMessage().contains("refusing"), e.getMessage());
        assertEquals("keep me", Files.readString(mine.resolve("notes.txt")));
    }
}
