package ai.aim4j.model.aten;

import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.PrefixCausalMask;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandle;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The dispatcher calls against DJL's own operations, and their ownership of native tensors. */
class AtenTest {
    private static final Shape HEADS = new Shape(2, 3, 7, 8);

    /** Attention as the model computed it before the fused kernel: DJL matmuls and softmax. */
    private static NDArray reference(NDArray q, NDArray k, NDArray v, NDArray mask, double scale) {
        NDArray scores = q.mul(q.getManager().create(scale).toType(q.getDataType(), false)).matMul(k.transpose(0, 1, 3, 2));
        if (mask != null) {
            scores = scores.add(mask);
        }
        return scores.softmax(-1).matMul(v);
    }

    /** A (B, N) prefix mask (true = not in the prefix) with prefix lengths 1 and 4. */
    private static NDArray prefixMask(NDManager m) {
        boolean[] notPrefix = new boolean[2 * 7];
        for (int j = 1; j < 7; j++) {
            notPrefix[j] = true;
        }
        for (int j = 4; j < 7; j++) {
            notPrefix[7 + j] = true;
        }
        return m.create(notPrefix, new Shape(2, 7));
    }

    private static double maxAbsDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().toType(DataType.FLOAT64, false).getDouble();
    }

    private static double maxAbs(NDArray a) {
        return a.abs().max().toType(DataType.FLOAT64, false).getDouble();
    }

    /**
     * Outputs and the gradients of q, k and v agree with the unfused formula, with and without the
     * prefix-causal mask: to 2e-6 x max in float32 (the kernels sum in different orders), 1e-13 x
     * max in float64 (where a formula difference would show).
     */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT64"})
    void attentionMatchesTheUnfusedFormula(DataType type) {
        double bound = type == DataType.FLOAT32 ? 2e-6 : 1e-13;
        for (boolean masked : new boolean[] {false, true}) {
            try (NDManager m = NDManager.newBaseManager()) {
                m.getEngine().setRandomSeed(7);
                NDArray[] qkv = new NDArray[3];
                for (int i = 0; i < 3; i++) {
                    qkv[i] = m.randomNormal(HEADS).toType(type, false);
                }
                NDArray mask = masked ? PrefixCausalMask.additive(prefixMask(m), type) : null;
                NDArray weights = m.randomNormal(HEADS).toType(type, false);
                double scale = 1 / Math.sqrt(8);
                NDArray[] fused = run(qkv, mask, weights, (q, k, v) -> Aten.scaledDotProductAttention(q, k, v, mask, scale));
                NDArray[] unfused = run(qkv, mask, weights, (q, k, v) -> reference(q, k, v, mask, scale));
                for (int i = 0; i < 4; i++) {
                    assertEquals(type, fused[i].getDataType());
                    double err = maxAbsDiff(fused[i], unfused[i]);
                    assertTrue(err <= bound * maxAbs(unfused[i]),
                            (masked ? "masked " : "") + (i == 0 ? "output" : "gradient " + "qkv".charAt(i - 1)) + ": " + err);
                }
            }
        }
    }

    private interface Attention {
        NDArray apply(NDArray q, NDArray k, NDArray v);
    }

    /** The output and the gradients of {@code sum(out * weights)} with respect to fresh copies of q, k, v. */
    private static NDArray[] run(NDArray[] values, NDArray mask, NDArray weights, Attention f) {
        NDArray[] qkv = new NDArray[3];
        for (int i = 0; i < 3; i++) {
            qkv[i] = values[i].duplicate();
            qkv[i].setRequiresGradient(true);
        }
        NDArray out;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            out = f.apply(qkv[0], qkv[1], qkv[2]);
            gc.backward(out.mul(weights).sum());
        }
        NDArray[] r = new NDArray[4];
        r[0] = out;
        for (int i = 0; i < 3; i++) {
            r[i + 1] = qkv[i].getGradient().duplicate();
        }
        return r;
    }

    /** bfloat16 is float32 with the low 16 bits rounded off to nearest even (DJL itself names the type "unknown"). */
    @Test
    void convertsToBfloat16() {
        float[] values = {1f, -2.5f, 3.14159265f, 1e-20f, 65504f, 1.00390625f, 1.01171875f};
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(values);
            NDArray b = Aten.toType(x, DataType.BFLOAT16);
            float[] back = Aten.toType(b, DataType.FLOAT32).toFloatArray();
            float[] expected = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                int bits = Float.floatToRawIntBits(values[i]);
                int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
                expected[i] = Float.intBitsToFloat(rounded & 0xFFFF0000);
            }
            assertArrayEquals(expected, back);
        }
    }

    /** One call scales every tensor exactly as DJL's per-tensor {@code muli} by a double scalar tensor does. */
    @Test
    void scalesAListInPlaceBitForBit() {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(5);
            List<NDArray> tensors = List.of(m.randomNormal(new Shape(3, 17)), m.randomNormal(new Shape(5)).toType(DataType.FLOAT64, false));
            double factor = 1.0 / 3;
            List<NDArray> expected = tensors.stream().map(t -> t.duplicate().muli(m.create(factor))).toList();
            Aten.scaleInPlace(tensors, factor);
            for (int i = 0; i < tensors.size(); i++) {
                assertArrayEquals(expected.get(i).toType(DataType.FLOAT64, false).toDoubleArray(),
                        tensors.get(i).toType(DataType.FLOAT64, false).toDoubleArray(), 0.0);
            }
        }
    }

    @Test
    void refusesTypesWithoutAnAtenCode() {
        try (NDManager m = NDManager.newBaseManager()) {
            var e = assertThrows(IllegalArgumentException.class, () -> Aten.toType(m.create(new float[] {1}), DataType.INT32));
            assertEquals("no ATen scalar type for int32 (floating types only)", e.getMessage());
        }
    }

    /**
     * 10^4 calls on fresh 16 KiB tensors leave the native heap flat, calls refused after their first
     * argument was pushed included: a leaked argument or result handle would keep its tensor alive
     * (more than 140 MB over the run). Measured with glibc's
     * {@code mallinfo2} (bytes in use), which libtorch's CPU allocator goes through and the Java heap
     * does not.
     */
    @Test
    void handlesAreNotLeaked() throws Throwable {
        Shape shape = new Shape(1, 1, 64, 64);
        long before = 0;
        for (int i = 0; i < 10_000; i++) {
            if (i == 1000) {
                before = nativeBytesInUse();
            }
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray q = m.ones(shape);
                NDArray mask = m.zeros(shape);
                NDArray out = Aten.scaledDotProductAttention(q, q.add(1), q.add(2), mask, 0.125);
                Aten.toType(out, DataType.FLOAT64);
                assertThrows(IllegalArgumentException.class, () -> Aten.toType(q.add(3), DataType.INT32));
            }
        }
        long growth = nativeBytesInUse() - before;
        assertTrue(growth < 16 << 20, "the native heap grew by " + growth + " bytes");
    }

    /** {@code uordblks + hblkhd} of glibc's {@code mallinfo2()}: small and mmap-ed allocations in use. */
    private static long nativeBytesInUse() throws Throwable {
        Linker linker = Linker.nativeLinker();
        MemoryLayout info = MemoryLayout.sequenceLayout(10, JAVA_LONG);
        MethodHandle mallinfo2 = linker.downcallHandle(linker.defaultLookup().find("mallinfo2").orElseThrow(),
                FunctionDescriptor.of(MemoryLayout.structLayout(info)));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = (MemorySegment) mallinfo2.invokeExact((SegmentAllocator) arena);
            return r.getAtIndex(JAVA_LONG, 7) + r.getAtIndex(JAVA_LONG, 4);
        }
    }
}
