package ai.aim4j.model.tensor;

import java.lang.foreign.MemorySegment;

/**
 * A tensor a writer can stream: its type and shape up front, its bytes on demand. Writers call
 * {@link #bytes()} once per tensor and drop the result, so a generated model of any size is written
 * one tensor at a time.
 */
public interface TensorSource {
    DType dtype();

    long[] shape();

    /** Little-endian C-order bytes, exactly {@code numel * dtype.byteSize()} long. */
    MemorySegment bytes();

    default long byteSize() {
        return Math.multiplyExact(HostTensor.numel(shape()), dtype().byteSize());
    }
}
