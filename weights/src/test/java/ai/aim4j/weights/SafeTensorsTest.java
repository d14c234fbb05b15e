package ai.aim4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.model.tensor.TensorSource;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** safetensors round trips bit for bit, and every kind of damage is reported with the file's name. */
class SafeTensorsTest {
    @TempDir
    Path dir;

    private static SequencedMap<String, HostTensor> sample() {
        SequencedMap<String, HostTensor> t = new LinkedHashMap<>();
        t.put("a.weight", HostTensor.ofFloats(new long[] {2, 3}, new float[] {1, -2, 3.5f, Float.MIN_VALUE, -0f, 6}));
        t.put("count", HostTensor.ofLongs(new long[] {}, new long[] {42}));
        t.put("empty", HostTensor.ofFloats(new long[] {0, 4}, new float[] {}));
        return t;
    }

    @Test
    void roundTripsValuesShapesTypesAndMetadata() throws IOException {
        Path f = dir.resolve("w.safetensors");
        SafeTensors.write(f, sample(), Map.of("format", "pt"));
        try (NamedTensors t = SafeTensors.read(f)) {
            assertEquals(sample().keySet().stream().toList(), t.tensors().keySet().stream().toList());
            assertEquals("pt", t.metadata().get("format"));
            HostTensor a = t.get("a.weight");
            assertArrayEquals(new long[] {2, 3}, a.shape());
            assertArrayEquals(sample().get("a.weight").data().toArray(ValueLayout.JAVA_BYTE), a.data().toArray(ValueLayout.JAVA_BYTE));
            assertEquals(DType.I64, t.get("count").dtype());
            assertEquals(42.0, t.get("count").toDoubles()[0]);
            assertEquals(0, t.get("empty").numel());
        }
        // The header is padded to 8 bytes, so the data section starts aligned.
        ByteBuffer head = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, head.getLong(0) % 8);
    }

    private Path withHeader(String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = dir.resolve("bad" + Math.abs(json.hashCode()) + ".safetensors");
        Files.write(f, b.array());
        return f;
    }

    private void assertBroken(Path f, String expected) {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensors.read(f).close());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void reportsTruncationAndInconsistentHeaders() throws IOException {
        Path good = dir.resolve("good.safetensors");
        SafeTensors.write(good, sample(), Map.of());
        byte[] bytes = Files.readAllBytes(good);
        Path cut = dir.resolve("cut.safetensors");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length - 5));
        assertBroken(cut, "truncated");
        Path tiny = dir.resolve("tiny.safetensors");
        Files.write(tiny, new byte[] {1, 2, 3});
        assertBroken(tiny, "too short");
        Path headerPastEnd = dir.resolve("hdr.safetensors");
        Files.write(headerPastEnd, Arrays.copyOf(bytes, 20));
        assertBroken(headerPastEnd, "header length");
        assertBroken(withHeader("{not json", 0), "not valid JSON");
        assertBroken(withHeader("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8), "needs 8 bytes");
        assertBroken(withHeader("{\"x\":{\"dtype\":\"Q9\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "unsupported dtype");
        assertBroken(withHeader("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "overlap");
        assertBroken(withHeader("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "negative");
    }

    private static String tensor(String name, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    @Test
    void shapesAndOffsetsMustBeNonNegativeIntegers() throws IOException {
        assertBroken(withHeader("{" + tensor("x", "[2.5]", "[0,8]") + "}", 8), "shape of tensor x holds 2.5, not a non-negative integer");
        assertBroken(withHeader("{" + tensor("x", "[\"2\"]", "[0,8]") + "}", 8), "not a non-negative integer");
        assertBroken(withHeader("{" + tensor("x", "[2e0]", "[0,8]") + "}", 8), "not a non-negative integer");
        assertBroken(withHeader("{" + tensor("x", "[2]", "[0,8.0]") + "}", 8), "data_offsets of tensor x holds 8.0");
        assertBroken(withHeader("{" + tensor("x", "[2]", "[\"0\",8]") + "}", 8), "data_offsets of tensor x");
        assertBroken(withHeader("{" + tensor("x", "[2]", "[0,99999999999999999999]") + "}", 8), "data_offsets of tensor x");
    }

    @Test
    void shapesWhoseByteSizeOverflowsAreRefused() throws IOException {
        // 2^62 float32 elements need 2^64 bytes, which wraps to 0 in a long and would match empty offsets.
        assertBroken(withHeader("{" + tensor("x", "[4611686018427387904]", "[0,0]") + "}", 0), "overflows");
        assertBroken(withHeader("{" + tensor("x", "[1099511627776,1099511627776]", "[0,0]") + "}", 0), "overflows");
    }

    @Test
    void duplicateKeysAreRefused() throws IOException {
        assertBroken(withHeader("{" + tensor("x", "[1]", "[0,4]") + "," + tensor("x", "[1]", "[0,4]") + "}", 4), "Duplicate");
    }

    @Test
    void tensorsMustTileTheDataSectionExactly() throws IOException {
        assertBroken(withHeader("{" + tensor("x", "[1]", "[0,4]") + "," + tensor("y", "[1]", "[8,12]") + "}", 12), "gap of 4 bytes");
        assertBroken(withHeader("{" + tensor("x", "[1]", "[4,8]") + "}", 8), "gap of 4 bytes");
        assertBroken(withHeader("{" + tensor("x", "[1]", "[0,4]") + "}", 8), "4 bytes after the last tensor");
        assertBroken(withHeader("{}", 3), "3 bytes after the last tensor");
        // Empty tensors may sit anywhere a boundary is, in any header order.
        Path ok = withHeader("{" + tensor("y", "[1]", "[4,8]") + "," + tensor("e", "[0]", "[4,4]") + "," + tensor("x", "[1]", "[0,4]") + "}", 8);
        try (NamedTensors t = SafeTensors.read(ok)) {
            assertEquals(List.of("y", "e", "x"), List.copyOf(t.tensors().keySet()));
        }
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        SafeTensors.write(f, sample(), Map.of());
        byte[] before = Files.readAllBytes(f);
        SequencedMap<String, TensorSource> broken = new LinkedHashMap<>(sample());
        broken.put("fails", new TensorSource() {
            public DType dtype() {
                return DType.F32;
            }

            public long[] shape() {
                return new long[] {4};
            }

            public MemorySegment bytes() {
                throw new IllegalStateException("generator failed");
            }
        });
        assertThrows(IllegalStateException.class, () -> SafeTensors.write(f, broken, Map.of()));
        assertArrayEquals(before, Files.readAllBytes(f));
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temporary file may remain");
        }
    }
}
