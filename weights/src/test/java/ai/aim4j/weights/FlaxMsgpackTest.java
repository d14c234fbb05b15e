package ai.aim4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;

/**
 * Flax msgpack round trips, reads flax's chunked form of large arrays, and refuses damaged or
 * hostile files with one line naming the file and the problem.
 */
class FlaxMsgpackTest {
    /**
     * What msgpack-python 1.0.3 packs for {@code {'params': {'big': chunked, 'small': array}}} when
     * flax's {@code MAX_CHUNK_SIZE} is 8 bytes: {@code big} is float32 (2, 5) holding
     * {@code arange(10) * 0.5 - 1} in chunks of 2 elements, {@code small} is int32 {@code [7, -8]},
     * 8 bytes and so not chunked.
     */
    static final String FLAX_CHUNKED = "81a6706172616d7382a362696783b95f5f6d73677061636b5f6368756e6b65645f61727261795f5fc3"
            + "a5736861706582a13002a13105a66368756e6b7385"
            + "a130c71501939102a7666c6f61743332c408000080bf000000bf"
            + "a131c71501939102a7666c6f61743332c408000000000000003f"
            + "a132c71501939102a7666c6f61743332c4080000803f0000c03f"
            + "a133c71501939102a7666c6f61743332c4080000004000002040"
            + "a134c71501939102a7666c6f61743332c4080000404000006040"
            + "a5736d616c6cc71301939102a5696e743332c40807000000f8ffffff";

    @TempDir
    Path dir;

    private static SequencedMap<String, HostTensor> sample() {
        SequencedMap<String, HostTensor> t = new LinkedHashMap<>();
        t.put("params/trunk/kernel", HostTensor.ofFloats(new long[] {2, 3}, new float[] {1, -2, 3.5f, Float.MIN_VALUE, -0f, 6}));
        t.put("params/trunk/bias", HostTensor.ofFloats(new long[] {3}, new float[] {0.25f, 0, -1}));
        t.put("batch_stats/count", HostTensor.ofLongs(new long[] {}, new long[] {42}));
        t.put("params/empty", HostTensor.ofFloats(new long[] {0, 4}, new float[] {}));
        return t;
    }

    private static void assertSameTensors(SequencedMap<String, HostTensor> expected, NamedTensors actual) {
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.tensors().keySet()));
        for (var e : expected.entrySet()) {
            HostTensor a = actual.get(e.getKey());
            assertEquals(e.getValue().dtype(), a.dtype(), e.getKey());
            assertArrayEquals(e.getValue().shape(), a.shape(), e.getKey());
            assertArrayEquals(e.getValue().data().toArray(ValueLayout.JAVA_BYTE), a.data().toArray(ValueLayout.JAVA_BYTE), e.getKey());
        }
    }

    @Test
    void roundTripsATreeInOrderWithTensorsSharingTheMappedFile() throws IOException {
        Path f = dir.resolve("w.msgpack");
        FlaxMsgpack.write(f, sample());
        try (NamedTensors t = FlaxMsgpack.read(f)) {
            // The flat names come back grouped by folder, in the order each folder was first seen.
            SequencedMap<String, HostTensor> expected = new LinkedHashMap<>();
            for (String name : List.of("params/trunk/kernel", "params/trunk/bias", "params/empty", "batch_stats/count")) {
                expected.put(name, sample().get(name));
            }
            assertSameTensors(expected, t);
            assertTrue(t.get("params/trunk/kernel").data().isMapped(), "tensor bytes should be a slice of the file mapping");
        }
    }

    @Test
    void readsFlaxsChunkedArraysAsOneTensor() throws IOException {
        Path f = dir.resolve("chunked.msgpack");
        Files.write(f, HexFormat.of().parseHex(FLAX_CHUNKED));
        try (NamedTensors t = FlaxMsgpack.read(f)) {
            assertEquals(List.of("params/big", "params/small"), List.copyOf(t.tensors().keySet()));
            HostTensor big = t.get("params/big");
            assertEquals(DType.F32, big.dtype());
            assertArrayEquals(new long[] {2, 5}, big.shape());
            double[] expected = new double[10];
            Arrays.setAll(expected, i -> i * 0.5 - 1);
            assertArrayEquals(expected, big.toDoubles(), 0.0);
            assertArrayEquals(new double[] {7, -8}, t.get("params/small").toDoubles(), 0.0);
        }
    }

    private static HostTensor ints(int... values) {
        MemorySegment seg = Arena.ofAuto().allocate(4L * values.length);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, values.length);
        return new HostTensor(DType.I32, new long[] {values.length}, seg);
    }

    @Test
    void writesArraysOverTheLeafLimitInFlaxsChunkedFormByteForByte() throws IOException {
        SequencedMap<String, HostTensor> t = new LinkedHashMap<>();
        float[] big = new float[10];
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 0.5f - 1;
        }
        t.put("params/big", HostTensor.ofFloats(new long[] {2, 5}, big));
        t.put("params/small", ints(7, -8));
        Path f = dir.resolve("ours.msgpack");
        FlaxMsgpackWriter.write(f, t, 8);
        assertEquals(FLAX_CHUNKED, HexFormat.of().formatHex(Files.readAllBytes(f)));
    }

    @Test
    void readsIdenticallyWhenEveryValueStraddlesTheUnpackersWindows() throws IOException {
        Path plain = dir.resolve("plain.msgpack");
        FlaxMsgpack.write(plain, sample());
        Path chunked = dir.resolve("chunked.msgpack");
        Files.write(chunked, HexFormat.of().parseHex(FLAX_CHUNKED));
        for (Path f : List.of(plain, chunked)) {
            try (NamedTensors expected = FlaxMsgpack.read(f)) {
                for (int window : new int[] {1, 2, 3, 7, 64}) {
                    try (NamedTensors t = FlaxMsgpackReader.read(f, window)) {
                        assertSameTensors(expected.tensors(), t);
                    }
                }
            }
        }
    }

    @Test
    void refusesMapsNestedTooDeeplyWithoutOverflowingTheStack() throws IOException {
        // 100,000 nested one-entry maps: a recursive reader without a limit dies with StackOverflowError.
        int depth = 100_000;
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        for (int i = 0; i < depth; i++) {
            p.packMapHeader(1);
            p.packString("a");
        }
        p.packMapHeader(0);
        Path f = dir.resolve("deep.msgpack");
        Files.write(f, p.toByteArray());
        assertBroken(f, "nested deeper than");
    }

    private Path file(String name, MessageBufferPacker p) throws IOException {
        Path f = dir.resolve(name + ".msgpack");
        Files.write(f, p.toByteArray());
        return f;
    }

    /** {@code {"params": {"w": ext(1, payload)}}}. */
    private Path leaf(String name, byte[] payload) throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packMapHeader(1).packString("params").packMapHeader(1).packString("w");
        p.packExtensionTypeHeader((byte) 1, payload.length);
        p.writePayload(payload);
        return file(name, p);
    }

    /** An ndarray payload {@code [shape, dtype, bytes]} holding {@code dataBytes} zero bytes. */
    private static byte[] ndarray(long[] shape, String dtype, int dataBytes) throws IOException {
        MessageBufferPacker p = MessagePack.newDefaultBufferPacker();
        p.packArrayHeader(3).packArrayHeader(shape.length);
        for (long d : shape) {
            p.packLong(d);
        }
        p.packString(dtype).packBinaryHeader(dataBytes);
        p.writePayload(new byte[dataBytes]);
        return p.toByteArray();
    }

    private static void assertBroken(Path f, String expected) {
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> FlaxMsgpack.read(f).close());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }

    @Test
    void checksEveryDeclaredSizeAgainstTheFileBeforeUsingIt() throws IOException {
        MessageBufferPacker hugeMap = MessagePack.newDefaultBufferPacker();
        hugeMap.packMapHeader(Integer.MAX_VALUE).packString("a");
        assertBroken(file("hugeMap", hugeMap), "declares " + Integer.MAX_VALUE + " entries");

        MessageBufferPacker hugeExt = MessagePack.newDefaultBufferPacker();
        hugeExt.packMapHeader(1).packString("w").packExtensionTypeHeader((byte) 1, Integer.MAX_VALUE);
        hugeExt.writePayload(new byte[16]);
        assertBroken(file("hugeExt", hugeExt), "past the end of the file");

        MessageBufferPacker hugeRank = MessagePack.newDefaultBufferPacker();
        hugeRank.packArrayHeader(3).packArrayHeader(Integer.MAX_VALUE).packLong(1);
        assertBroken(leaf("hugeRank", hugeRank.toByteArray()), "rank");

        assertBroken(leaf("negative", ndarray(new long[] {-1}, "float32", 0)), "negative");
        assertBroken(leaf("numelOverflow", ndarray(new long[] {1L << 40, 1L << 40}, "float32", 0)), "overflows");
        // 2^62 float32 elements need 2^64 bytes, which wraps to 0 in a long: a reader that does not check
        // the multiplication accepts an empty payload for it.
        assertBroken(leaf("bytesOverflow", ndarray(new long[] {1L << 62}, "float32", 0)), "overflows");
        assertBroken(leaf("short", ndarray(new long[] {3}, "float32", 8)), "needs 12");
        assertBroken(leaf("dtype", ndarray(new long[] {1}, "complex64", 8)), "unsupported dtype complex64");

        byte[] good = Files.readAllBytes(leaf("good", ndarray(new long[] {2}, "float32", 8)));
        Path cut = dir.resolve("cut.msgpack");
        Files.write(cut, Arrays.copyOf(good, good.length - 3));
        assertBroken(cut, "past the end of the file");
        Path trailing = dir.resolve("trailing.msgpack");
        Files.write(trailing, Arrays.copyOf(good, good.length + 1));
        assertBroken(trailing, "trailing bytes");
        Path empty = dir.resolve("empty.msgpack");
        Files.write(empty, new byte[0]);
        assertBroken(empty, "empty");

        MessageBufferPacker twice = MessagePack.newDefaultBufferPacker();
        byte[] payload = ndarray(new long[] {1}, "float32", 4);
        twice.packMapHeader(2).packString("a/b");
        twice.packExtensionTypeHeader((byte) 1, payload.length).writePayload(payload);
        twice.packString("a").packMapHeader(1).packString("b");
        twice.packExtensionTypeHeader((byte) 1, payload.length).writePayload(payload);
        assertBroken(file("twice", twice), "a/b appears twice");
    }
}
