package ai.aim4j.interop.worker;

import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.TensorSource;
import java.util.Arrays;

/** A tensor's element type and shape without its bytes: what a tensor file's layout depends on. */
public record TensorSpec(DType dtype, long[] shape) {

    public TensorSpec {
        shape = shape.clone();
        HostTensor.numel(shape); // rejects negative dimensions and overflow up front
    }

    public static TensorSpec of(TensorSource tensor) {
        return new TensorSpec(tensor.dtype(), tensor.shape());
    }

    public long numel() {
        return HostTensor.numel(shape);
    }

    public long byteSize() {
        return Math.multiplyExact(numel(), dtype.byteSize());
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.dtype == dtype && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return 31 * dtype.hashCode() + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return dtype + Arrays.toString(shape);
    }
}
