package ai.aim4j.model.tensor;

import ai.djl.ndarray.NDArray;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/** The native memory of an engine tensor on the CPU, as a segment that aliases it (writes change the tensor). */
public final class TensorMemory {
    private TensorMemory() {}

    /**
     * A view of {@code a}'s bytes, valid while {@code a}'s storage lives; refused for a tensor the
     * engine cannot expose without copying (not on the CPU, or not contiguous).
     */
    public static MemorySegment of(NDArray a) {
        ByteBuffer view = a.toByteBuffer(true);
        if (!view.isDirect()) {
            throw new IllegalStateException("tensor " + a.getShape() + " " + a.getDataType() + " on " + a.getDevice()
                    + " has no native memory to share");
        }
        return MemorySegment.ofBuffer(view);
    }
}
