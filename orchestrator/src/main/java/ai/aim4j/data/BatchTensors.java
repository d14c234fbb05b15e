package ai.aim4j.data;

import ai.aim4j.arrow.Batch;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/** A loader's batch as engine tensors, without copying its pixels. */
public final class BatchTensors {
    private BatchTensors() {}

    /**
     * The images {@code (B, C, H, W)} float32 as a view of the batch's native buffer (valid while the
     * batch is open); the array belongs to {@code scope}.
     */
    public static NDArray images(Batch batch, NDManager scope) {
        int[] s = batch.shape();
        return scope.create(batch.buffer(), new Shape(s[0], s[1], s[2], s[3]), DataType.FLOAT32);
    }

    /** Decoding threads for loaders: every core but the one running the model. */
    public static int loaderThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
    }
}
