package ai.aim4j.weights;

import ai.aim4j.model.tensor.HostTensor;
import java.lang.foreign.MemorySegment;

/**
 * One tensor of a PyTorch checkpoint as the pickle describes it: the storage class it was saved with
 * ({@code FloatStorage}, {@code LongStorage}, ...), its shape and strides (in elements), and its
 * storage's bytes from the view's first element on (a slice of the mapped checkpoint). The reader has
 * checked that the view stays inside its storage and has no more elements than it, and that laying
 * out all of a checkpoint's non-contiguous views takes no more bytes than its storages hold.
 */
public record PthTensor(String storageType, int elementSize, long[] shape, long[] strides, MemorySegment storage) {
    /** The number of elements of the view. */
    public long numel() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** The bytes of the view laid out in C order. */
    public long byteSize() {
        return Math.multiplyExact(numel(), elementSize);
    }

    /** Whether the view is already in C order (dimensions of size 1 may have any stride), so needs no copy. */
    public boolean isContiguous() {
        return HostTensor.isContiguous(shape, strides);
    }
}
