package ai.aim4j.model.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Host tensors reach the engine without a copy, and permutations match index arithmetic. */
class HostTensorTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void nativeAlignedDataIsSharedWithTheNDArray() {
        try (Arena arena = Arena.ofConfined(); NDManager m = NDManager.newBaseManager()) {
            MemorySegment seg = arena.allocate(4 * 4, 64);
            HostTensor t = new HostTensor(DType.F32, new long[] {2, 2}, seg);
            NDArray a = t.toNDArray(m);
            seg.setAtIndex(F32, 3, 42f);
            // Written after the NDArray was made: visible only if the memory is shared.
            assertEquals(42f, a.getFloat(1, 1));
            // duplicate() is a real copy (the pre-training model relies on it to own its parameters)
            NDArray copy = a.duplicate();
            seg.setAtIndex(F32, 3, 7f);
            assertEquals(42f, copy.getFloat(1, 1));
            copy.close();
            a.close();
        }
    }

    @Test
    void stridedViewsComeOutInCOrderAndContiguousOnesAreNotCopied() {
        HostTensor storage = HostTensor.ofFloats(new long[] {6}, new float[] {0.5f, 1.5f, 2.5f, 3.5f, 4.5f, 5.5f});
        // a (3, 2) transpose of the (2, 3) matrix held by the storage
        HostTensor t = HostTensor.strided(DType.F32, new long[] {3, 2}, new long[] {1, 3}, storage.data());
        assertArrayEquals(new float[] {0.5f, 3.5f, 1.5f, 4.5f, 2.5f, 5.5f}, t.data().toArray(F32));
        HostTensor same = HostTensor.strided(DType.F32, new long[] {2, 3}, new long[] {3, 1}, storage.data());
        assertEquals(storage.data().address(), same.data().address());
    }

    @Test
    void permuteMovesEveryElementWhereIndexArithmeticSays() {
        float[] v = new float[2 * 3 * 4 * 5];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        HostTensor t = HostTensor.ofFloats(new long[] {2, 3, 4, 5}, v);
        HostTensor p = t.permute(2, 3, 1, 0);
        assertArrayEquals(new long[] {4, 5, 3, 2}, p.shape());
        float[] got = p.data().toArray(F32);
        for (int a = 0; a < 2; a++) {
            for (int b = 0; b < 3; b++) {
                for (int c = 0; c < 4; c++) {
                    for (int d = 0; d < 5; d++) {
                        float expected = ((a * 3 + b) * 4 + c) * 5 + d;
                        assertEquals(expected, got[((c * 5 + d) * 3 + b) * 2 + a]);
                    }
                }
            }
        }
        assertArrayEquals(v, p.permute(3, 2, 0, 1).data().toArray(F32));
    }
}
