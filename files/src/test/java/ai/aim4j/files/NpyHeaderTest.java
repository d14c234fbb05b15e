package ai.aim4j.files;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The .npy header round trips, and shapes that are not lists of sane dimensions are refused. */
class NpyHeaderTest {
    /** A version 1.0 header around {@code dict}, as NumPy lays it out (padded to 64 bytes). */
    private static ByteBuffer header(String dict) {
        int pad = (64 - (10 + dict.length() + 1) % 64) % 64;
        byte[] text = (dict + " ".repeat(pad) + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) text.length).put(text);
        return b.flip();
    }

    private static ByteBuffer withShape(String shape) {
        return header("{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }");
    }

    @Test
    void roundTripsScalarsVectorsAndMatrices() {
        for (long[] shape : new long[][] {{}, {3}, {2, 5}, {0, 7}}) {
            NpyHeader h = NpyHeader.parse(ByteBuffer.wrap(NpyHeader.encode("<f4", shape)));
            assertArrayEquals(shape, h.shape());
            assertEquals("<f4", h.descr());
            assertFalse(h.fortranOrder());
            assertEquals(0, h.dataOffset() % 64, "NumPy aligns the data to 64 bytes");
        }
    }

    private static void assertRefused(String shape, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NpyHeader.parse(withShape(shape)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void refusesNegativeNonIntegerAndAbsurdDimensions() {
        assertRefused("(-3,)", "dimension '-3' is not a non-negative integer");
        assertRefused("(2, 2.5)", "dimension '2.5' is not a non-negative integer");
        assertRefused("(3L, 4L)", "dimension '3L' is not a non-negative integer");
        assertRefused("(99999999999999999999,)", "dimension 99999999999999999999 does not fit a long");
        assertRefused("(1099511627776, 1099511627776)", "more elements than a long holds");
        assertRefused("(" + "1, ".repeat(65) + ")", "65 dimensions");
    }
}
