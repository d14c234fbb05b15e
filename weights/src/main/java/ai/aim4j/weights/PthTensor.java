package ai.aim4j.weights;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a PyTorch checkpoint as the pickle describes it: the storage class it was saved with
 * ({@code FloatStorage}, {@code LongStorage}, ...), its shape and strides (in elements), and its
 * storage's bytes from the view's first element on (a slice of the mapped checkpoint). The reader has
 * checked that the view stays inside the storage.
 */
public record PthTensor(String storageType, int elementSize, long[] shape, long[] strides, MemorySegment storage) {}
