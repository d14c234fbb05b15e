package ai.aim4j.interop.worker;

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
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tensor files written and read in Java: every element type, scalars and empty tensors come back
 * bit for bit with their shapes and the metadata, every tensor's bytes sit on a 64-byte boundary of
 * the file, and damaged files are refused with the file named. What Python makes of these files is
 * tested by {@link TensorFilePythonTest}.
 */
class TensorFileTest {
    @TempDir
    Path dir;

    /** One tensor of every element type with random bytes, plus a scalar and an empty tensor. */
    static SequencedMap<String, HostTensor> everyType(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        SequencedMap<String, HostTensor> tensors = new LinkedHashMap<>();
        int i = 0;
        for (DType dtype : DType.values()) {
            long[] shape = {2, 1 + i % 3, 3 + i};
            tensors.put(dtype.name().toLowerCase(), randomTensor(dtype, shape, random));
            i++;
        }
        tensors.put("scalar", randomTensor(DType.F32, new long[0], random));
        tensors.put("empty", randomTensor(DType.I64, new long[] {0, 4}, random));
        tensors.put("odd.name/with:chars", randomTensor(DType.U8, new long[] {5}, random));
        return tensors;
    }

    static HostTensor randomTensor(DType dtype, long[] shape, SplittableRandom random) {
        long bytes = HostTensor.numel(shape) * dtype.byteSize();
        byte[] data = new byte[(int) bytes];
        for (int k = 0; k < data.length; k++) {
            // bool holds 0/1 bytes; everything else any bit pattern (NaNs included)
            data[k] = (byte) (dtype == DType.BOOL ? random.nextInt(2) : random.nextInt(256));
        }
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(bytes, 1)).asSlice(0, bytes);
        seg.copyFrom(MemorySegment.ofArray(data));
        return new HostTensor(dtype, shape, seg);
    }

    static void assertSameTensors(SequencedMap<String, HostTensor> expected, NamedTensors actual) {
        assertEquals(expected.sequencedKeySet().stream().toList(), actual.tensors().sequencedKeySet().stream().toList());
        for (var e : expected.entrySet()) {
            HostTensor a = actual.get(e.getKey());
            assertEquals(e.getValue().dtype(), a.dtype(), e.getKey());
            assertArrayEquals(e.getValue().shape(), a.shape(), e.getKey());
            assertEquals(-1, e.getValue().data().mismatch(a.data()), e.getKey() + ": bytes differ");
        }
    }

    @Test
    void everyTypeRoundTripsBitExactWithMetadataAndAlignedData() throws IOException {
        SequencedMap<String, HostTensor> tensors = everyType(1);
        Path f = dir.resolve("t.arrow");
        TensorFile.write(f, tensors, Map.of("purpose", "test", "empty", ""));
        try (NamedTensors back = TensorFile.read(f)) {
            assertSameTensors(tensors, back);
            assertEquals(Map.of("purpose", "test", "empty", ""), back.metadata());
            MemorySegment base = back.tensors().firstEntry().getValue().data();
            for (var e : back.tensors().entrySet()) {
                // the mapping itself starts page-aligned, so file offsets show in the addresses
                assertEquals(0, e.getValue().data().address() % TensorFileLayout.ALIGNMENT, e.getKey());
            }
            assertTrue(base.isNative());
        }
        assertEquals(Files.size(f), TensorFileLayout.of(specs(tensors), Map.of("purpose", "test", "empty", "")).size());
    }

    private static SequencedMap<String, TensorSpec> specs(SequencedMap<String, HostTensor> tensors) {
        SequencedMap<String, TensorSpec> specs = new LinkedHashMap<>();
        tensors.forEach((k, v) -> specs.put(k, TensorSpec.of(v)));
        return specs;
    }

    @Test
    void aMappedRegionIsRefilledInPlaceThroughItsLayout() throws IOException {
        SequencedMap<String, HostTensor> first = everyType(2);
        SequencedMap<String, HostTensor> second = everyType(3);
        TensorFileLayout layout = TensorFileLayout.of(specs(first), Map.of());
        Path f = dir.resolve("slot.arrow");
        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment slot = ch.map(FileChannel.MapMode.READ_WRITE, 0, layout.size(), arena);
            layout.writeFrame(slot);
            for (var batch : List.of(first, second)) {
                batch.forEach((name, t) -> layout.tensor(slot, name).copyFrom(t.data()));
                try (NamedTensors read = TensorFile.read(f)) {
                    assertSameTensors(batch, read);
                }
            }
        }
    }

    @Test
    void tooManyElementsForOneArrowListIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> TensorFileLayout.of(
                new LinkedHashMap<>(Map.of("huge", new TensorSpec(DType.U8, new long[] {1L << 31}))), Map.of()));
        assertTrue(e.getMessage().contains("huge"), e.getMessage());
    }

    @Test
    void damagedFilesAreRefusedNamingTheFile() throws IOException {
        Path good = dir.resolve("good.arrow");
        TensorFile.write(good, everyType(4), Map.of());
        byte[] bytes = Files.readAllBytes(good);

        Path truncated = dir.resolve("truncated.arrow");
        Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 20));
        Path garbage = dir.resolve("garbage.arrow");
        Files.writeString(garbage, "this is not an arrow file at all, not even close");
        Path empty = dir.resolve("empty.arrow");
        Files.write(empty, new byte[0]);
        Path badFooter = dir.resolve("bad-footer.arrow");
        byte[] corrupt = bytes.clone();
        // a footer length pointing before the start of the file
        corrupt[corrupt.length - 10] = (byte) 0xff;
        corrupt[corrupt.length - 9] = (byte) 0xff;
        corrupt[corrupt.length - 8] = (byte) 0xff;
        corrupt[corrupt.length - 7] = (byte) 0x7f;
        Files.write(badFooter, corrupt);

        for (Path p : List.of(truncated, garbage, empty, badFooter, dir.resolve("missing.arrow"))) {
            IOException e = assertThrows(IOException.class, () -> TensorFile.read(p).close(), p.toString());
            assertTrue(e.getMessage().startsWith(p + ": not a readable tensor file: "), e.getMessage());
        }
    }
}
