package ai.aim4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.model.tensor.TensorSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Flax msgpack file over 2 GiB is written and read back with the Java heap staying far below the
 * size of any one tensor: the writer streams, the reader maps the file.
 */
class FlaxMsgpackLargeFileTest {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** 1,100 MiB of int32: above flax's 1 GiB limit for one msgpack leaf, so written in two chunks. */
    private static final long[] CHUNKED_SHAPE = {1100, 1L << 18};
    /** Exactly 1 GiB of float32: the largest array flax writes whole, read as a slice of the mapping. */
    private static final long[] WHOLE_SHAPE = {256, 1L << 20};
    /**
     * Heap allowed across the write and the read. A copy of either tensor through the heap (1 GiB or
     * more) breaks it; the streaming paths need only the header trees and small buffers.
     */
    private static final long HEAP_BOUND = 256L << 20;

    @TempDir
    Path dir;

    /** A tensor whose element {@code i} is {@link #valueAt} of {@code i}, made only when a writer asks for it. */
    private record Generated(DType dtype, long[] shape, int seed) implements TensorSource {
        @Override
        public MemorySegment bytes() {
            long n = HostTensor.numel(shape);
            MemorySegment seg = Arena.ofAuto().allocate(n * dtype.byteSize(), 64);
            for (long i = 0; i < n; i++) {
                seg.setAtIndex(INT, i, valueAt(seed, i));
            }
            return seg;
        }
    }

    private static int valueAt(int seed, long i) {
        return (int) ((i + seed) * 0x9E3779B97F4A7C15L >>> 29);
    }

    @Test
    void aFileOverTwoGibRoundTripsWithTheHeapFarBelowOneTensor() throws IOException {
        long dataBytes = (HostTensor.numel(CHUNKED_SHAPE) + HostTensor.numel(WHOLE_SHAPE)) * 4;
        assumeTrue(Files.getFileStore(dir).getUsableSpace() > dataBytes + (1L << 30), "needs about 3.2 GB of free disk");
        SequencedMap<String, TensorSource> tensors = new LinkedHashMap<>();
        tensors.put("params/chunked", new Generated(DType.I32, CHUNKED_SHAPE, 1));
        tensors.put("params/whole", new Generated(DType.F32, WHOLE_SHAPE, 2));
        Path f = dir.resolve("big.msgpack");
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        try {
            FlaxMsgpack.write(f, tensors);
            long size = Files.size(f);
            assertTrue(size > (2L << 30), "file of " + size + " bytes should be over 2 GiB");
            // Headers (keys, shapes, dtype names, chunk maps) add well under a kilobyte.
            assertTrue(size - dataBytes < 1024, "file of " + size + " bytes for " + dataBytes + " bytes of data");
            try (NamedTensors t = FlaxMsgpack.read(f)) {
                HostTensor chunked = t.get("params/chunked");
                HostTensor whole = t.get("params/whole");
                assertEquals(DType.I32, chunked.dtype());
                assertArrayEquals(CHUNKED_SHAPE, chunked.shape());
                assertEquals(DType.F32, whole.dtype());
                assertArrayEquals(WHOLE_SHAPE, whole.shape());
                assertTrue(whole.data().isMapped(), "an unchunked array should be a slice of the file mapping");
                assertFalse(chunked.data().isMapped(), "a chunked array is assembled in memory of its own");
                assertSampleMatches(chunked, 1);
                assertSampleMatches(whole, 2);
            }
            long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
            assertTrue(peak < HEAP_BOUND, "heap peaked at " + peak + " bytes");
        } finally {
            Files.deleteIfExists(f);
        }
    }

    /**
     * Every value is exact (raw bits compared), so a sample suffices: both ends, both sides of flax's
     * chunk boundary (element 2^28 of a 4-byte array) and 2,000 random elements.
     */
    private static void assertSampleMatches(HostTensor t, int seed) {
        long n = t.numel();
        SplittableRandom random = new SplittableRandom(seed);
        long[] fixed = {0, 1, (1L << 28) - 1, 1L << 28, n - 1};
        long[] sample = LongStream.concat(LongStream.of(fixed).filter(i -> i < n), random.longs(2000, 0, n)).toArray();
        for (long i : sample) {
            assertEquals(valueAt(seed, i), t.data().getAtIndex(INT, i), "element " + i);
        }
    }
}
