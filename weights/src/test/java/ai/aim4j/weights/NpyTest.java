package ai.aim4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.files.NpyHeader;
import ai.aim4j.model.tensor.HostTensor;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** .npy arrays round trip, and headers whose sizes cannot be right are refused naming the file. */
class NpyTest {
    private static final Path SOURCE = Path.of("arrays.npz:w.npy");

    @Test
    void roundTripsValuesAndShape() throws CheckpointFormatException {
        HostTensor t = HostTensor.ofFloats(new long[] {2, 2}, new float[] {1, -2.5f, 0, 3});
        HostTensor back = Npy.parse(SOURCE, Npy.toBytes(t));
        assertArrayEquals(t.shape(), back.shape());
        assertArrayEquals(t.toDoubles(), back.toDoubles(), 0.0);
    }

    private static void assertRefused(long[] shape, int dataBytes, String expected) {
        byte[] header = NpyHeader.encode("<f4", shape);
        byte[] file = Arrays.copyOf(header, header.length + dataBytes);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Npy.parse(SOURCE, file));
        assertTrue(e.getMessage().startsWith(SOURCE.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void refusesShapesWhoseByteSizeIsWrongOrOverflows() {
        assertRefused(new long[] {3}, 8, "needs 12");
        // 2^62 float32 elements need 2^64 bytes, which wraps to 0 in a long and would match no data at all.
        assertRefused(new long[] {1L << 62}, 0, "overflows");
        assertRefused(new long[] {-1}, 0, "not a non-negative integer");
        assertRefused(new long[] {1L << 40, 1L << 40}, 0, "more elements than a long holds");
    }

    @Test
    void aTruncatedHeaderNamesTheSource() {
        byte[] header = NpyHeader.encode("<f4", new long[] {2});
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class,
                () -> Npy.parse(SOURCE, Arrays.copyOf(header, 40)));
        assertEquals(SOURCE + ": .npy header runs past the end of the data (truncated)", e.getMessage());
    }
}
