package ai.aim4j.interop.pickle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import java.lang.management.ManagementFactory;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The unpickler's defences against hostile sizes: declared lengths, long digit strings, unhashable
 * keys and runs of small opcodes cost no more than the pickle itself, and well-formed data still loads.
 */
class StateDictUnpicklerTest {
    /** A hostile pickle here is a few bytes to a few hundred KiB; what they declare is a GiB or more. */
    private static final long MAX_ALLOCATED_BYTES = 16L << 20;

    /** Linear work over a pickle of under 1 MiB: milliseconds, with slack for a loaded machine. */
    private static final Duration LINEAR = Duration.ofSeconds(1);

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "SHORT_BINBYTES, 0x43, 1", "SHORT_BINUNICODE, 0x8c, 1", "SHORT_BINSTRING, 0x55, 1", "LONG1, 0x8a, 1",
        "BINBYTES, 0x42, 4", "BINUNICODE, 0x58, 4", "BINSTRING, 0x54, 4", "LONG4, 0x8b, 4",
        "BINBYTES8, 0x8e, 8", "BINUNICODE8, 0x8d, 8", "BYTEARRAY8, 0x96, 8", "FRAME, 0x95, 8"})
    void refusesALengthLongerThanThePickleBeforeAllocatingIt(String name, String opcode, int width) {
        // The largest length each width can declare that a Java array could still hold (one byte: 255).
        long length = width == 1 ? 255 : Integer.MAX_VALUE - 8;
        byte[] pickle = new PickleBuilder().proto(4).declaredLength(Integer.decode(opcode), width, length).stop();
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        MalformedPickleException e = assertThrows(MalformedPickleException.class, () -> StateDictUnpickler.load(pickle));
        assertTrue(threads.getCurrentThreadAllocatedBytes() - before < MAX_ALLOCATED_BYTES, "allocated what the pickle declared");
        assertEquals(name + " declares " + length + " bytes, but only 1 remain in the pickle", e.getMessage());
    }

    @Test
    void refusesAnEightByteLengthAbove2To63() {
        byte[] pickle = new PickleBuilder().proto(4).declaredLength(0x8e, 8, -1).stop();
        MalformedPickleException e = assertThrows(MalformedPickleException.class, () -> StateDictUnpickler.load(pickle));
        assertTrue(e.getMessage().contains("18446744073709551615"), e.getMessage());
    }

    @Test
    void stillReadsPayloadsThatFit() throws MalformedPickleException {
        byte[] pickle = new PickleBuilder().proto(4).op(0x95).bytes(new byte[] {21, 0, 0, 0, 0, 0, 0, 0})
                .mark().str("ab").op(0x8c).bytes(new byte[] {2, 'c', 'd'}).op('C').bytes(new byte[] {1, 7})
                .op(0x8a).bytes(new byte[] {2, 0, 1}).op('t').stop();
        Object[] t = (Object[]) StateDictUnpickler.load(pickle);
        assertEquals("ab", t[0]);
        assertEquals("cd", t[1]);
        assertArrayEquals(new byte[] {7}, (byte[]) t[2]);
        assertEquals(256L, t[3]);
    }

    @Test
    void refusesDecimalIntsLongerThanPythonReads() throws MalformedPickleException {
        String longest = "9".repeat(BoundedUnpickler.MAX_INT_DIGITS);
        assertEquals(new BigInteger(longest), StateDictUnpickler.load(longDigits(longest)));
        // Parsing 500,000 digits takes seconds (BigInteger's parse is quadratic); refusing takes none.
        byte[] hostile = longDigits("9".repeat(500_000));
        MalformedPickleException e = assertTimeoutPreemptively(LINEAR,
                () -> assertThrows(MalformedPickleException.class, () -> StateDictUnpickler.load(hostile)));
        assertTrue(e.getMessage().contains("digits"), e.getMessage());
    }

    private static byte[] longDigits(String digits) {
        return new PickleBuilder().proto(2).bytes(("L" + digits + "L\n").getBytes(StandardCharsets.US_ASCII)).stop();
    }

    @Test
    void acceptsOnlyStrAndIntKeysAndSetMembers() throws MalformedPickleException {
        Map<?, ?> ok = (Map<?, ?>) StateDictUnpickler.load(new PickleBuilder().proto(4).op('}').mark()
                .str("a").integer(1).integer(2).str("b").integer(1L << 40).str("c").op('u').stop());
        assertEquals(List.of("a", 2, 1L << 40), List.copyOf(ok.keySet()), "keys in pickle order");
        // A tuple key, by each opcode that stores keys, and a list as a set member: all refused.
        for (byte[] pickle : List.of(
                new PickleBuilder().proto(4).op('}').integer(1).op(0x85).integer(0).op('s').stop(),
                new PickleBuilder().proto(4).op('}').mark().integer(1).op(0x85).integer(0).op('u').stop(),
                new PickleBuilder().proto(4).mark().integer(1).op(0x85).integer(0).op('d').stop(),
                new PickleBuilder().proto(4).op(0x8f).mark().op(']').op(0x90).stop(),
                new PickleBuilder().proto(4).mark().op(']').op(0x91).stop())) {
            MalformedPickleException e = assertThrows(MalformedPickleException.class, () -> StateDictUnpickler.load(pickle));
            assertTrue(e.getMessage().contains("only str and int"), e.getMessage());
        }
    }

    @Test
    void refusesAStackNoStateDictNeeds() {
        // 200,000 lists pushed before nesting them into one key: refused at the stack's bound, after 10,000.
        byte[] pickle = new PickleBuilder().proto(4).op('}').repeat(']', 200_000).repeat('a', 199_999).integer(0).op('s').stop();
        MalformedPickleException e = assertThrows(MalformedPickleException.class, () -> StateDictUnpickler.load(pickle));
        assertTrue(e.getMessage().contains("stack grows past " + BoundedUnpickler.MAX_STACK), e.getMessage());
    }

    @Test
    void refusesDeepNestingAsItIsBuilt() {
        // One tuple wrapped 200,000 times keeps the stack at one item: refused by its depth, before any walk of it.
        byte[] pickle = new PickleBuilder().proto(4).op(')').repeat(0x85, 200_000).stop();
        MalformedPickleException e = assertThrows(MalformedPickleException.class, () -> StateDictUnpickler.load(pickle));
        assertTrue(e.getMessage().contains("nest more than " + BoundedUnpickler.MAX_DEPTH + " deep"), e.getMessage());
    }

    @Test
    void manySmallAppendsAndPopMarksTakeLinearTime() throws MalformedPickleException {
        // 100,000 one-item APPENDS onto one list, then 100,000 MARK + POP_MARK over a stack as deep as
        // allowed: Pyrolite trims the list or stack after each, which makes both quadratic (seconds).
        int n = 100_000;
        int deep = BoundedUnpickler.MAX_STACK - 10;
        PickleBuilder b = new PickleBuilder().proto(2).op(']');
        for (int i = 0; i < n; i++) {
            b.mark().integer(i).op('e');
        }
        b.repeat('N', deep);
        for (int i = 0; i < n; i++) {
            b.mark().op('1');
        }
        byte[] pickle = b.repeat('0', deep).stop();
        List<?> list = (List<?>) assertTimeoutPreemptively(LINEAR, () -> StateDictUnpickler.load(pickle));
        assertEquals(n, list.size());
        assertEquals(n - 1, list.getLast());
    }

    @Test
    void reportsTruncatedAndInconsistentPicklesAsMalformed() {
        for (byte[] pickle : List.of(new byte[] {(byte) 0x80, 2}, new byte[] {'a', '.'}, new byte[] {'(', 'e', '.'},
                new PickleBuilder().proto(2).integer(1).op('a').stop())) {
            assertThrows(MalformedPickleException.class, () -> StateDictUnpickler.load(pickle));
        }
    }
}
