package ai.aim4j.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.aim4j.model.aten.Aten;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.Test;

/** The mixed-precision scope: which operands it lowers, what stays float32, and that gradients reach float32 weights. */
class AutocastTest {
    /** float32 rounded to the nearest bfloat16 (ties to even), as libtorch converts. */
    private static float bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        return Float.intBitsToFloat((bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000);
    }

    private static Linear linear(NDManager m, float[] w, float[] b, int in, int out) {
        Linear layer = new Linear(in, out, true);
        var params = layer.namedParameters();
        params.get("weight").bind(m.create(w, new Shape(out, in)));
        params.get("bias").bind(m.create(b, new Shape(out)));
        return layer;
    }

    @Test
    void aLinearMapUnderTheScopeMultipliesBf16OperandsAndStaysBf16() {
        float[] x = {0.1f, -1.7f, 3.3333f, 2.01f, -0.004f, 9.87f};
        float[] w = {0.31f, -0.77f, 1.234567f, 0.5f, -2.2f, 0.0123f};
        float[] b = {0.3f, -0.01f};
        try (NDManager m = NDManager.newBaseManager()) {
            Linear layer = linear(m, w, b, 3, 2);
            NDArray in = m.create(x, new Shape(2, 3));
            NDArray out;
            try (Autocast scope = Autocast.to(DataType.BFLOAT16)) {
                out = layer.forward(in);
            }
            assertEquals(DataType.BFLOAT16, Aten.dataType(out));
            float[] got = Aten.toType(out, DataType.FLOAT32).toFloatArray();
            // Each output is one rounding of the float32 sum of products of rounded operands (exact in float32 here: 3 terms).
            for (int r = 0; r < 2; r++) {
                for (int o = 0; o < 2; o++) {
                    float sum = bf16(b[o]);
                    for (int i = 0; i < 3; i++) {
                        sum += bf16(x[r * 3 + i]) * bf16(w[o * 3 + i]);
                    }
                    assertEquals(bf16(sum), got[r * 2 + o], Math.ulp(bf16(sum)), "output " + r + "," + o);
                }
            }
            // Outside the scope the same layer is plain float32 again.
            assertEquals(DataType.FLOAT32, layer.forward(in).getDataType());
        }
    }

    @Test
    void gradientsReachTheFloat32WeightsAsFloat32ThroughAWidenedOutput() {
        try (NDManager m = NDManager.newBaseManager()) {
            Linear layer = linear(m, new float[] {1f, 2f, 3f, 4f}, new float[] {0f, 0f}, 2, 2);
            NDArray weight = layer.namedParameters().get("weight").value();
            weight.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y;
                try (Autocast scope = Autocast.to(DataType.BFLOAT16)) {
                    // The bf16 output widened back to float32, as attention's inputs are.
                    y = Autocast.widened(layer.forward(m.create(new float[] {1f, 3f}, new Shape(1, 2))), m);
                }
                assertEquals(DataType.FLOAT32, Aten.dataType(y));
                gc.backward(y.mul(y).sum());
            }
            NDArray g = weight.getGradient();
            assertEquals(DataType.FLOAT32, g.getDataType());
            // d/dW of sum((W x)^2) = 2 (W x) x^T with W x = (7, 15), exact in bf16.
            assertArrayEquals(new float[] {14f, 42f, 30f, 90f}, g.toFloatArray());
        }
    }

    @Test
    void attentionInputsAreWidenedToFloat32() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] values = {1.00390625f, -2.0078125f, 3.3f};
            NDArray full = m.create(values);
            NDArray low;
            try (Autocast scope = Autocast.to(DataType.BFLOAT16)) {
                low = Autocast.operand(full, m);
                NDArray wide = Autocast.widened(low, m);
                assertEquals(DataType.FLOAT32, Aten.dataType(wide));
                // bf16 to float32 is exact: the widened values are the bf16 roundings of the originals.
                assertArrayEquals(new float[] {bf16(values[0]), bf16(values[1]), bf16(values[2])}, wide.toFloatArray());
                assertSame(full, Autocast.widened(full, m), "a float32 input is not cast");
            }
            assertSame(low, Autocast.widened(low, m), "outside a scope nothing is cast");
        }
    }

    @Test
    void scopesNestAndRestoreTheOuterOne() {
        assertNull(Autocast.lower());
        try (Autocast outer = Autocast.to(DataType.BFLOAT16)) {
            try (Autocast inner = Autocast.to(null)) {
                assertNull(Autocast.lower());
            }
            assertEquals(DataType.BFLOAT16, Autocast.lower());
        }
        assertNull(Autocast.lower());
        assertThrows(IllegalArgumentException.class, () -> Autocast.to(DataType.FLOAT64));
    }

    @Test
    void nonFloatingAndAlreadyLoweredOperandsPassThrough() {
        try (NDManager m = NDManager.newBaseManager(); Autocast scope = Autocast.to(DataType.BFLOAT16)) {
            NDArray ints = m.create(new int[] {1, 2});
            assertSame(ints, Autocast.operand(ints, m));
            NDArray low = Autocast.operand(m.create(new float[] {1f, 2f}), m);
            assertSame(low, Autocast.operand(low, m));
        }
    }
}
