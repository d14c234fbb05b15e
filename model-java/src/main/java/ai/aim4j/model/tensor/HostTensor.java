package ai.aim4j.model.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * A tensor's bytes outside the tensor engine: element type, shape and little-endian C-order data in a
 * {@link MemorySegment} (a slice of a memory-mapped file, or memory of its own). This is what every
 * checkpoint codec reads and writes; {@link #toNDArray} hands it to DJL without a copy where it can.
 */
public record HostTensor(DType dtype, long[] shape, MemorySegment data) implements TensorSource {

    public HostTensor {
        long expected = Math.multiplyExact(numel(shape), dtype.byteSize());
        if (data.byteSize() != expected) {
            throw new IllegalArgumentException("tensor data has " + data.byteSize() + " bytes, shape "
                    + Arrays.toString(shape) + " of " + dtype + " needs " + expected);
        }
    }

    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long numel() {
        return numel(shape);
    }

    @Override
    public MemorySegment bytes() {
        return data;
    }

    /** A float32 tensor over a copy of {@code values}. */
    public static HostTensor ofFloats(long[] shape, float[] values) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 4, 8);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, values.length);
        return new HostTensor(DType.F32, shape.clone(), seg);
    }

    /** A float64 scalar. */
    public static HostTensor scalar(double value) {
        return ofDoubles(new long[0], new double[] {value});
    }

    /** A float64 tensor over a copy of {@code values}. */
    public static HostTensor ofDoubles(long[] shape, double[] values) {
        MemorySegment seg = Arena.ofAuto().allocate(Math.max((long) values.length * 8, 8), 8).asSlice(0, (long) values.length * 8);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, values.length);
        return new HostTensor(DType.F64, shape.clone(), seg);
    }

    /** An int64 tensor over a copy of {@code values}. */
    public static HostTensor ofLongs(long[] shape, long[] values) {
        MemorySegment seg = Arena.ofAuto().allocate((long) values.length * 8, 8);
        MemorySegment.copy(values, 0, seg, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, values.length);
        return new HostTensor(DType.I64, shape.clone(), seg);
    }

    /**
     * Wraps the data in an NDArray of the same type. On CPU, data that is suitably aligned is shared
     * (torch {@code from_blob}); the caller keeps the backing memory alive as long as the array.
     */
    public NDArray toNDArray(NDManager manager) {
        MemorySegment src = data;
        if (src.address() % Math.max(dtype.byteSize(), 1) != 0 || !src.isNative()) {
            // Unaligned or heap memory cannot be shared with torch: copy once into aligned native memory.
            MemorySegment aligned = Arena.ofAuto().allocate(src.byteSize(), 64);
            aligned.copyFrom(src);
            src = aligned;
        }
        ByteBuffer buf = src.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        NDArray array = manager.create(buf, new Shape(shape), dtype.toDjl());
        if (src != data) {
            // torch shares the copied memory; copy again inside torch so nothing depends on the GC.
            NDArray owned = array.duplicate();
            array.close();
            return owned;
        }
        return array;
    }

    /** Copies an NDArray's data out of the engine. */
    public static HostTensor fromNDArray(NDArray array) {
        ByteBuffer bytes = array.toByteBuffer();
        MemorySegment seg = Arena.ofAuto().allocate(bytes.remaining(), 64);
        seg.copyFrom(MemorySegment.ofBuffer(bytes));
        return new HostTensor(DType.fromDjl(array.getDataType()), array.getShape().getShape(), seg);
    }

    /** The values as doubles, whatever the stored floating or integer type (for checks and reports). */
    public double[] toDoubles() {
        long n = numel();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalStateException("tensor too large for a Java array: " + n);
        }
        double[] out = new double[(int) n];
        ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfDouble f64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfLong i64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfInt i32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            out[i] = switch (dtype) {
                case F32 -> data.getAtIndex(f32, i);
                case F64 -> data.getAtIndex(f64, i);
                case I64 -> data.getAtIndex(i64, i);
                case I32 -> data.getAtIndex(i32, i);
                case I16 -> data.getAtIndex(i16, i);
                case I8 -> data.get(ValueLayout.JAVA_BYTE, i);
                case U8, BOOL -> Byte.toUnsignedInt(data.get(ValueLayout.JAVA_BYTE, i));
                case F16 -> Float.float16ToFloat(data.getAtIndex(i16, i));
                case BF16 -> Float.intBitsToFloat(Short.toUnsignedInt(data.getAtIndex(i16, i)) << 16);
            };
        }
        return out;
    }

    /**
     * A C-order copy with the axes reordered ({@code out.shape[i] = shape[axes[i]]}), the layout change
     * between PyTorch {@code (out, in)} / {@code (D, C, ph, pw)} kernels and Flax {@code (in, out)} /
     * HWIO kernels.
     */
    public HostTensor permute(int... axes) {
        int rank = shape.length;
        if (axes.length != rank) {
            throw new IllegalArgumentException("permutation of rank " + axes.length + " for a tensor of rank " + rank);
        }
        long[] outShape = new long[rank];
        long[] inStrides = new long[rank];
        long stride = 1;
        for (int i = rank - 1; i >= 0; i--) {
            inStrides[i] = stride;
            stride *= shape[i];
        }
        long[] strideOfOut = new long[rank];
        for (int i = 0; i < rank; i++) {
            outShape[i] = shape[axes[i]];
            strideOfOut[i] = inStrides[axes[i]];
        }
        return strided(dtype, outShape, strideOfOut, data);
    }

    /**
     * The C-order tensor of a strided view ({@code element[i] = base[sum(i_k * strides[k])]}, strides in
     * elements): the memory itself when the view is already C-contiguous, else a gathered copy. The
     * caller guarantees the view stays inside {@code base}.
     */
    public static HostTensor strided(DType dtype, long[] shape, long[] strides, MemorySegment base) {
        int es = dtype.byteSize();
        long n = numel(shape);
        long bytes = Math.multiplyExact(n, es);
        if (isContiguous(shape, strides)) {
            return new HostTensor(dtype, shape.clone(), base.asSlice(0, bytes));
        }
        int rank = shape.length;
        MemorySegment out = Arena.ofAuto().allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
        long[] index = new long[rank];
        long src = 0;
        for (long o = 0; o < n; o++) {
            MemorySegment.copy(base, src * es, out, o * es, es);
            // Advance the output index odometer-style, tracking the matching input offset.
            for (int d = rank - 1; d >= 0; d--) {
                index[d]++;
                src += strides[d];
                if (index[d] < shape[d]) {
                    break;
                }
                src -= strides[d] * shape[d];
                index[d] = 0;
            }
        }
        return new HostTensor(dtype, shape.clone(), out);
    }

    /** Whether a strided view (strides in elements) is already in C order; dimensions of size 1 may have any stride. */
    public static boolean isContiguous(long[] shape, long[] strides) {
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= shape[i];
        }
        return true;
    }

    /** Rows {@code [from, to)} of the first axis, sharing this tensor's memory. */
    public HostTensor slice0(long from, long to) {
        long row = numel() / Math.max(shape[0], 1) * dtype.byteSize();
        long[] s = shape.clone();
        s[0] = to - from;
        return new HostTensor(dtype, s, data.asSlice(from * row, (to - from) * row));
    }

    /** The tensors stacked along their first axis (all other dimensions and the type must agree). */
    public static HostTensor concat0(List<HostTensor> parts) {
        HostTensor first = parts.getFirst();
        long rows = 0;
        long bytes = 0;
        for (HostTensor t : parts) {
            if (t.dtype != first.dtype || t.shape.length != first.shape.length
                    || !Arrays.equals(Arrays.copyOfRange(t.shape, 1, t.shape.length), Arrays.copyOfRange(first.shape, 1, first.shape.length))) {
                throw new IllegalArgumentException("cannot stack " + t.dtype + t.shapeString() + " onto " + first.dtype + first.shapeString());
            }
            rows += t.shape[0];
            bytes += t.data.byteSize();
        }
        MemorySegment out = Arena.ofAuto().allocate(Math.max(bytes, 1), 64).asSlice(0, bytes);
        long at = 0;
        for (HostTensor t : parts) {
            MemorySegment.copy(t.data, 0, out, at, t.data.byteSize());
            at += t.data.byteSize();
        }
        long[] s = first.shape.clone();
        s[0] = rows;
        return new HostTensor(first.dtype, s, out);
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
