package ai.aim4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.interop.pickle.PickleBuilder;
import ai.aim4j.interop.pickle.UnsafePickleException;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The restricted unpickler: real state dicts load, and hand-made hostile checkpoints (os.system,
 * builtins.eval, subprocess, object construction, views past their storage, broken archives) are
 * refused with an error naming the file and the problem, with no side effect.
 */
class PthReaderTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @TempDir
    Path dir;

    private Path stateDict(String name, long[] size, long[] stride, long offset, int numel) throws IOException {
        float[] values = new float[numel];
        for (int i = 0; i < numel; i++) {
            values[i] = i + 0.5f;
        }
        byte[] pkl = new PickleBuilder().proto(2).emptyOrderedDict()
                .str("w").tensor("0", numel, offset, size, stride).op('s')
                .stop();
        Path f = dir.resolve(name);
        PickleBuilder.writeCheckpoint(f, pkl, Map.of("0", PickleBuilder.floats(values)));
        return f;
    }

    @Test
    void readsAContiguousTensorWithoutCopying() throws IOException {
        Path f = stateDict("ok.pth", new long[] {2, 3}, new long[] {3, 1}, 0, 6);
        try (PthCheckpoint ckpt = PthReader.read(f, null)) {
            PthTensor t = ckpt.tensors().get("w");
            assertEquals("FloatStorage", t.storageType());
            assertArrayEquals(new long[] {2, 3}, t.shape());
            assertArrayEquals(new long[] {3, 1}, t.strides());
            assertEquals(2.5f, t.storage().getAtIndex(F32, 2));
            assertTrue(t.storage().isNative(), "tensor bytes should come from the mapped file, not the heap");
        }
    }

    @Test
    void keepsTheStateDictOrderOfSetitems() throws IOException {
        PickleBuilder b = new PickleBuilder().proto(2).emptyOrderedDict().mark();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            String n = "layer" + (i * 7919 % 40) + ".weight"; // an order no hash map would produce
            names.add(n);
            b.str(n).tensor("0", 1, 0, new long[] {1}, new long[] {1});
        }
        Path f = dir.resolve("order.pth");
        PickleBuilder.writeCheckpoint(f, b.op('u').stop(), Map.of("0", PickleBuilder.floats(1)));
        try (PthCheckpoint ckpt = PthReader.read(f, null)) {
            assertEquals(names, List.copyOf(ckpt.tensors().keySet()));
        }
    }

    @Test
    void describesAStridedViewFromItsOffset() throws IOException {
        // storage [0.5 .. 5.5] viewed from element 1 as a (2, 2) transpose with strides (1, 3).
        Path f = stateDict("t.pth", new long[] {2, 2}, new long[] {1, 3}, 1, 6);
        try (PthCheckpoint ckpt = PthReader.read(f, null)) {
            PthTensor t = ckpt.tensors().get("w");
            assertArrayEquals(new long[] {2, 2}, t.shape());
            assertArrayEquals(new long[] {1, 3}, t.strides());
            assertEquals(1.5f, t.storage().getAtIndex(F32, 0));
        }
    }

    @Test
    void findsAStateDictNestedUnderModel() throws IOException {
        byte[] pkl = new PickleBuilder().proto(2).op('}')
                .str("model").emptyOrderedDict().str("w").tensor("0", 2, 0, new long[] {2}, new long[] {1}).op('s').op('s')
                .str("step").integer(7).op('s')
                .stop();
        Path f = dir.resolve("train.pth");
        PickleBuilder.writeCheckpoint(f, pkl, Map.of("0", PickleBuilder.floats(1, 2)));
        try (PthCheckpoint ckpt = PthReader.read(f, null)) {
            assertEquals(1, ckpt.tensors().size());
            assertArrayEquals(new float[] {1, 2}, ckpt.tensors().get("w").storage().toArray(F32));
        }
    }

    private void assertRefused(byte[] pickle, String expectedGlobal, Path marker) throws IOException {
        Path f = dir.resolve("evil-" + expectedGlobal.hashCode() + ".pth");
        PickleBuilder.writeCheckpoint(f, pickle, Map.of());
        UnsafePickleException e = assertThrows(UnsafePickleException.class, () -> PthReader.read(f, null));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expectedGlobal), e.getMessage());
        assertFalse(Files.exists(marker), "the refused pickle must have had no effect");
    }

    @Test
    void refusesOsSystem() throws IOException {
        Path marker = dir.resolve("pwned-os");
        assertRefused(new PickleBuilder().proto(2).global("os", "system").mark().str("touch " + marker).tuple().reduce().stop(),
                "os.system", marker);
        assertRefused(new PickleBuilder().proto(2).global("posix", "system").mark().str("touch " + marker).tuple().reduce().stop(),
                "posix.system", marker);
    }

    @Test
    void refusesBuiltinsEval() throws IOException {
        Path marker = dir.resolve("pwned-eval");
        assertRefused(new PickleBuilder().proto(2).global("builtins", "eval")
                .mark().str("__import__('os').system('touch " + marker + "')").tuple().reduce().stop(), "builtins.eval", marker);
    }

    @Test
    void refusesSubprocessThroughStackGlobal() throws IOException {
        Path marker = dir.resolve("pwned-subprocess");
        assertRefused(new PickleBuilder().proto(4).stackGlobal("subprocess", "check_output")
                .mark().mark().str("touch").str(marker.toString()).op('l').tuple().reduce().stop(), "subprocess.check_output", marker);
    }

    @Test
    void refusesObjectConstructionOpcodesAndForeignState() throws IOException {
        Path marker = dir.resolve("pwned-inst");
        byte[] inst = new PickleBuilder().proto(2).mark().str("touch").op('i').stop();
        Path f = dir.resolve("inst.pth");
        PickleBuilder.writeCheckpoint(f, inst, Map.of());
        assertThrows(UnsafePickleException.class, () -> PthReader.read(f, null));
        // BUILD on something that is not an OrderedDict (e.g. an object's __setstate__).
        byte[] build = new PickleBuilder().proto(2).op('}').op('}').op('b').stop();
        Path g = dir.resolve("build.pth");
        PickleBuilder.writeCheckpoint(g, build, Map.of());
        assertThrows(UnsafePickleException.class, () -> PthReader.read(g, null));
        assertFalse(Files.exists(marker));
    }

    @Test
    void refusesAViewLargerThanItsStorage() throws IOException {
        Path f = stateDict("view.pth", new long[] {4, 4}, new long[] {4, 1}, 0, 6);
        PthFormatException e = assertThrows(PthFormatException.class, () -> PthReader.read(f, null));
        assertTrue(e.getMessage().contains("outside its storage"), e.getMessage());
        Path g = stateDict("offset.pth", new long[] {6}, new long[] {1}, 3, 6);
        assertThrows(PthFormatException.class, () -> PthReader.read(g, null));
        // An empty view holds no element, but its offset must still lie within the storage.
        Path empty = stateDict("empty-past.pth", new long[] {0}, new long[] {1}, 7, 6);
        PthFormatException p = assertThrows(PthFormatException.class, () -> PthReader.read(empty, null));
        assertTrue(p.getMessage().contains("outside its storage"), p.getMessage());
        try (PthCheckpoint ckpt = PthReader.read(stateDict("empty-end.pth", new long[] {0}, new long[] {1}, 6, 6), null)) {
            assertEquals(0, ckpt.tensors().get("w").numel());
        }
    }

    @Test
    void refusesABroadcastViewWithMoreElementsThanItsStorage() throws IOException {
        // Inside its storage (stride 0 never moves), but 4 elements over a storage of 2.
        Path f = stateDict("broadcast.pth", new long[] {2, 2}, new long[] {0, 1}, 0, 2);
        PthFormatException e = assertThrows(PthFormatException.class, () -> PthReader.read(f, null));
        assertTrue(e.getMessage().contains("tensor w views 4 elements, more elements than its storage's 2"), e.getMessage());
    }

    @Test
    void refusesStridedViewsThatTogetherOutgrowTheStorages() throws IOException {
        // Two transposes of one 6-element storage lay out 12 elements: twice what the file holds.
        PickleBuilder b = new PickleBuilder().proto(2).emptyOrderedDict().mark();
        for (String name : new String[] {"a", "b"}) {
            b.str(name).tensor("0", 6, 0, new long[] {3, 2}, new long[] {1, 3});
        }
        Path f = dir.resolve("twice.pth");
        PickleBuilder.writeCheckpoint(f, b.op('u').stop(), Map.of("0", PickleBuilder.floats(1, 2, 3, 4, 5, 6)));
        PthFormatException e = assertThrows(PthFormatException.class, () -> PthReader.read(f, null));
        assertTrue(e.getMessage().contains("tensor b: the strided views up to it take 48 bytes"), e.getMessage());
    }

    @Test
    void inflatesADeflatedStorageOnceForAllItsViews() throws IOException {
        // A re-zipped checkpoint whose storage is deflated, viewed as a weight and its transpose.
        byte[] pkl = new PickleBuilder().proto(2).emptyOrderedDict().mark()
                .str("w").tensor("0", 6, 0, new long[] {2, 3}, new long[] {3, 1})
                .str("wt").tensor("0", 6, 0, new long[] {3, 2}, new long[] {1, 3}).op('u').stop();
        Path f = dir.resolve("deflated.pth");
        Files.write(f, new RawZip().stored("archive/data.pkl", pkl).deflated("archive/data/0", PickleBuilder.floats(0, 1, 2, 3, 4, 5))
                .stored("archive/version", new byte[] {'3', '\n'}).toBytes());
        try (PthCheckpoint ckpt = PthReader.read(f, null)) {
            PthTensor w = ckpt.tensors().get("w");
            assertEquals(w.storage().address(), ckpt.tensors().get("wt").storage().address(), "both views share one inflated copy");
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, w.storage().toArray(F32));
        }
    }

    @Test
    void refusesAStorageWhoseSizeDisagreesWithThePickle() throws IOException {
        byte[] pkl = new PickleBuilder().proto(2).emptyOrderedDict()
                .str("w").tensor("0", 100, 0, new long[] {100}, new long[] {1}).op('s').stop();
        Path f = dir.resolve("short.pth");
        PickleBuilder.writeCheckpoint(f, pkl, Map.of("0", PickleBuilder.floats(1, 2, 3)));
        PthFormatException e = assertThrows(PthFormatException.class, () -> PthReader.read(f, null));
        assertTrue(e.getMessage().contains("archive/data/0"), e.getMessage());
    }

    @Test
    void reportsTruncatedAndForeignFiles() throws IOException {
        Path ok = stateDict("full.pth", new long[] {6}, new long[] {1}, 0, 6);
        byte[] bytes = Files.readAllBytes(ok);
        Path cut = dir.resolve("cut.pth");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        PthFormatException e = assertThrows(PthFormatException.class, () -> PthReader.read(cut, null));
        assertTrue(e.getMessage().startsWith(cut.toString()), e.getMessage());
        Path text = dir.resolve("notes.pth");
        Files.writeString(text, "not a checkpoint");
        assertThrows(PthFormatException.class, () -> PthReader.read(text, null));
        Path missing = dir.resolve("missing-storage.pth");
        byte[] pkl = new PickleBuilder().proto(2).emptyOrderedDict()
                .str("w").tensor("7", 2, 0, new long[] {2}, new long[] {1}).op('s').stop();
        PickleBuilder.writeCheckpoint(missing, pkl, Map.of());
        PthFormatException m = assertThrows(PthFormatException.class, () -> PthReader.read(missing, null));
        assertTrue(m.getMessage().contains("archive/data/7"), m.getMessage());
    }
}
