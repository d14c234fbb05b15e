package ai.aim4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.source.Synthetic;
import ai.aim4j.arrow.transform.Normalization;
import ai.aim4j.arrow.transform.ToTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A batch reaches the engine without a copy: the NDArray reads the loader's own buffer. */
class BatchToNDArrayTest {
    @TempDir
    Path dir;

    @Test
    void theNDArraySharesTheBatchBuffer() throws IOException {
        DatasetWriter.write(new Synthetic(64, 16, 0, "train"), dir, 1, null, Map.of(), n -> { });
        try (ShardSet set = ShardSet.open(dir);
             BatchLoader loader = new BatchLoader(set, new Sampler(64, 0, 0, 1).strided(new Sampler.Cursor(0, 0)), 8,
                     new ToTensor(16, 16, Normalization.IMAGENET), 0, 0, 0, true, w -> { });
             Batch batch = loader.next();
             NDManager m = NDManager.newBaseManager()) {
            int[] s = batch.shape();
            NDArray x = m.create(batch.buffer(), new Shape(s[0], s[1], s[2], s[3]), DataType.FLOAT32);
            assertEquals(batch.pixels().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder()), 4 * 100),
                    x.getFloat(0, 0, 6, 4));
            // Written through the batch after the NDArray exists: visible only if the memory is shared.
            batch.pixels().set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder()), 4 * 100, 123.5f);
            assertEquals(123.5f, x.getFloat(0, 0, 6, 4));
            x.close();
        }
    }
}
