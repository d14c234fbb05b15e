package ai.aim4j.interop.pth;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a PyTorch checkpoint: the storage class it was saved with ({@code FloatStorage},
 * {@code LongStorage}, ...), its shape, and its C-order little-endian bytes (a slice of the mapped
 * checkpoint when the view is contiguous).
 */
public record PthTensor(String storageType, int elementSize, long[] shape, MemorySegment data) {}
