package ai.aim4j.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.aim4j.arrow.source.FashionMnist;
import ai.aim4j.arrow.transform.Normalization;
import ai.aim4j.arrow.transform.ToTensor;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fashion-MNIST shards hold exactly the IDX files' pixels and labels, in order, and verify clean. */
class FashionMnistShardsTest {
    @TempDir
    Path dir;

    private static void assertShardsEqualIdx(Path shards, Path images, Path labels, int expectedRows) throws IOException {
        byte[] px = IdxFiles.payload(images, 3);
        byte[] lab = IdxFiles.payload(labels, 1);
        try (ShardSet set = ShardSet.open(shards)) {
            assertEquals(expectedRows, set.size());
            assertArrayEquals(new int[] {28, 28, 1}, set.rawShape());
            assertEquals(FashionMnist.CLASSES, set.info().classNames());
            for (long i = 0; i < set.size(); i++) {
                assertEquals(i, set.id(i));
                assertEquals(lab[(int) i], set.label(i), "label of " + i);
                byte[] got = set.rawImage(i).toArray(ValueLayout.JAVA_BYTE);
                for (int k = 0; k < 784; k++) {
                    if (got[k] != px[(int) i * 784 + k]) {
                        throw new AssertionError("pixel " + k + " of image " + i + " differs");
                    }
                }
            }
        }
        assertTrue(ShardSet.verify(shards).isEmpty());
    }

    @Test
    void realFashionMnistTrainAndTestShardExactly() throws IOException {
        Path idx = FashionMnist.DEFAULT_DIR;
        assumeTrue(Files.isDirectory(idx), "Debian's dataset-fashion-mnist is not installed (CI installs it)");
        for (String split : new String[] {"train", "test"}) {
            Path out = dir.resolve(split);
            try (FashionMnist src = FashionMnist.open(idx, split)) {
                Manifest m = DatasetWriter.write(src, out, split.equals("train") ? 6 : 2, null, Map.of("split", split), n -> { });
                assertEquals(split.equals("train") ? 60000 : 10000, m.rows());
            }
            String prefix = split.equals("train") ? "train" : "t10k";
            assertShardsEqualIdx(out, idx.resolve(prefix + "-images-idx3-ubyte.gz"), idx.resolve(prefix + "-labels-idx1-ubyte.gz"),
                    split.equals("train") ? 60000 : 10000);
        }
        assertStreamEqualsIdx(dir.resolve("test"), idx.resolve("t10k-images-idx3-ubyte.gz"), idx.resolve("t10k-labels-idx1-ubyte.gz"));
    }

    /** A whole epoch through the loader (2 ranks) delivers every IDX image once, bit for bit, in sampler order. */
    private static void assertStreamEqualsIdx(Path shards, Path images, Path labels) throws IOException {
        byte[] px = IdxFiles.payload(images, 3);
        byte[] lab = IdxFiles.payload(labels, 1);
        var identity = new Normalization(new float[] {0f}, new float[] {1f / 255f});
        boolean[] seen = new boolean[lab.length];
        try (ShardSet set = ShardSet.open(shards)) {
            for (int rank = 0; rank < 2; rank++) {
                Sampler sampler = new Sampler(set.size(), 7, rank, 2);
                int[] order = Sampler.permutation(set.size(), 7, 0);
                try (BatchLoader loader = new BatchLoader(set, sampler.strided(new Sampler.Cursor(0, 0)), 1000,
                        new ToTensor(28, 28, identity), 0, 2, 2, true, w -> { })) {
                    for (int b = 0; b < 5; b++) {
                        try (Batch batch = loader.next()) {
                            float[] got = batch.pixels().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder()));
                            for (int i = 0; i < batch.size(); i++) {
                                int id = (int) batch.ids()[i];
                                assertEquals(order[rank + 2 * (b * 1000 + i)], id);
                                assertEquals(lab[id], batch.labels()[i]);
                                seen[id] = true;
                                for (int k = 0; k < 784; k++) {
                                    if (got[i * 784 + k] != Byte.toUnsignedInt(px[id * 784 + k])) {
                                        throw new AssertionError("streamed pixel " + k + " of image " + id + " differs");
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for (int i = 0; i < seen.length; i++) {
            assertTrue(seen[i], "image " + i + " never delivered");
        }
    }

    @Test
    void handMadeIdxFilesShardExactly() throws IOException {
        int n = 2500;
        byte[] px = new byte[n * 784];
        byte[] lab = new byte[n];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 31 + i / 784);
        }
        for (int i = 0; i < n; i++) {
            lab[i] = (byte) (i * 7 % 10);
        }
        IdxFiles.write(dir.resolve("t10k-images-idx3-ubyte.gz"), 2051, new int[] {n, 28, 28}, px);
        IdxFiles.write(dir.resolve("t10k-labels-idx1-ubyte.gz"), 2049, new int[] {n}, lab);
        Path out = dir.resolve("shards");
        try (FashionMnist src = FashionMnist.open(dir, "test")) {
            DatasetWriter.write(src, out, 3, null, Map.of(), n2 -> { });
        }
        // 2500 rows in 3 shards of 833/833/834, each over several 1024-row record batches or one.
        assertShardsEqualIdx(out, dir.resolve("t10k-images-idx3-ubyte.gz"), dir.resolve("t10k-labels-idx1-ubyte.gz"), n);
    }
}
