package ai.aim4j.weights;

import ai.aim4j.model.tensor.DType;
import java.nio.file.Path;
import java.util.Arrays;

/** The byte size a file declares for a tensor, checked before anything is sliced or allocated for it. */
final class DeclaredShape {
    private DeclaredShape() {}

    /**
     * {@code numel(shape) * dtype.byteSize()}, refusing negative dimensions and sizes that do not fit
     * a long (a product that wraps around could otherwise pass for a small, even empty, tensor).
     *
     * @param tensor how errors name the tensor, e.g. {@code "tensor a.weight"}
     */
    static long byteSize(Path file, String tensor, long[] shape, DType dtype) throws CheckpointFormatException {
        long bytes = dtype.byteSize();
        for (long d : shape) {
            if (d < 0) {
                throw new CheckpointFormatException(file, tensor + " has a negative dimension in shape " + Arrays.toString(shape));
            }
            try {
                bytes = Math.multiplyExact(bytes, d);
            } catch (ArithmeticException e) {
                throw new CheckpointFormatException(file, tensor + " has shape " + Arrays.toString(shape) + " of " + dtype
                        + ", whose byte size overflows a long");
            }
        }
        return bytes;
    }
}
