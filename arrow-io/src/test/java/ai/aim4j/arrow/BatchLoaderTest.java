package ai.aim4j.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.arrow.source.ImageSource;
import ai.aim4j.arrow.source.Sample;
import ai.aim4j.arrow.source.Synthetic;
import ai.aim4j.arrow.transform.Image;
import ai.aim4j.arrow.transform.Normalization;
import ai.aim4j.arrow.transform.PretrainTransform;
import ai.aim4j.arrow.transform.RawPixels;
import ai.aim4j.arrow.transform.ToTensor;
import ai.aim4j.arrow.transform.Transform;
import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Batches: exact pixels, order independent of threads, exact resume, recycled native buffers. */
class BatchLoaderTest {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    @TempDir
    static Path dir;
    static Path raw;
    static Path png;

    @BeforeAll
    static void shard() throws IOException {
        raw = dir.resolve("raw");
        png = dir.resolve("png");
        DatasetWriter.write(new Synthetic(203, 20, 3, "train"), raw, 3, null, Map.of(), n -> { });
        DatasetWriter.write(new Synthetic(203, 20, 3, "train"), png, 2, Encoding.PNG, Map.of(), n -> { });
    }

    private static List<float[]> stream(Path data, Transform t, int threads, Sampler.Cursor start, int batches) throws IOException {
        List<float[]> out = new ArrayList<>();
        try (ShardSet set = ShardSet.open(data);
             BatchLoader loader = new BatchLoader(set, new Sampler(set.size(), 11, 0, 1).strided(start), 16, t, 5, threads, 3, true, w -> { })) {
            for (int b = 0; b < batches; b++) {
                try (Batch batch = loader.next()) {
                    out.add(batch.pixels().toArray(F32));
                }
            }
        }
        return out;
    }

    @Test
    void rawBatchesHoldTheNormalizedPixelsInSamplerOrder() throws IOException {
        Normalization norm = Normalization.IMAGENET;
        try (ShardSet set = ShardSet.open(raw);
             BatchLoader loader = new BatchLoader(set, new Sampler(set.size(), 11, 0, 1).strided(new Sampler.Cursor(0, 0)), 16,
                     new ToTensor(20, 20, norm), 5, 2, 2, true, w -> { })) {
            int[] expectedOrder = Sampler.permutation(set.size(), 11, 0);
            for (int b = 0; b < 3; b++) {
                try (Batch batch = loader.next()) {
                    assertArrayEquals(new int[] {16, 3, 20, 20}, batch.shape());
                    float[] px = batch.pixels().toArray(F32);
                    for (int i = 0; i < 16; i++) {
                        int row = expectedOrder[b * 16 + i];
                        assertEquals(set.id(row), batch.ids()[i]);
                        assertEquals(set.label(row), batch.labels()[i]);
                        byte[] hwc = set.rawImage(row).toArray(ValueLayout.JAVA_BYTE);
                        for (int c = 0; c < 3; c++) {
                            for (int p = 0; p < 400; p += 37) {
                                float expected = (Byte.toUnsignedInt(hwc[p * 3 + c]) / 255f - norm.mean()[c]) / norm.std()[c];
                                assertEquals(expected, px[((i * 3 + c) * 400) + p], 1e-5f);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void rawPixelBatchesHoldTheStoredBytesOfDecodedImages() throws IOException {
        // The PNG shards decode to exactly the raw shards' bytes (lossless), in sampler order.
        try (ShardSet pngSet = ShardSet.open(png); ShardSet rawSet = ShardSet.open(raw);
             BatchLoader loader = new BatchLoader(pngSet, new Sampler(pngSet.size(), 11, 0, 1).strided(new Sampler.Cursor(0, 0)), 16,
                     new RawPixels(20, 20, 3), 5, 2, 2, true, w -> { })) {
            int[] expectedOrder = Sampler.permutation(pngSet.size(), 11, 0);
            try (Batch batch = loader.next()) {
                assertArrayEquals(new int[] {16, 20, 20, 3}, batch.shape());
                assertEquals(16L * 20 * 20 * 3, batch.pixels().byteSize());
                for (int i = 0; i < 16; i++) {
                    byte[] stored = rawSet.rawImage(expectedOrder[i]).toArray(ValueLayout.JAVA_BYTE);
                    assertArrayEquals(stored, batch.pixels().asSlice(i * 1200L, 1200).toArray(ValueLayout.JAVA_BYTE));
                }
            }
        }
    }

    @Test
    void augmentedBatchesDoNotDependOnThreadCount() throws IOException {
        Transform t = new PretrainTransform(16, Normalization.IMAGENET, true);
        List<float[]> inline = stream(png, t, 0, new Sampler.Cursor(0, 0), 4);
        List<float[]> one = stream(png, t, 1, new Sampler.Cursor(0, 0), 4);
        List<float[]> two = stream(png, t, 2, new Sampler.Cursor(0, 0), 4);
        for (int b = 0; b < 4; b++) {
            assertArrayEquals(inline.get(b), one.get(b));
            assertArrayEquals(inline.get(b), two.get(b));
        }
    }

    @Test
    void resumingFromABatchCursorRepeatsNothingAndSkipsNothing() throws IOException {
        Transform t = new PretrainTransform(16, Normalization.IMAGENET, false);
        // 203 samples in batches of 16: batch 12 crosses into epoch 1.
        List<float[]> straight = stream(png, t, 2, new Sampler.Cursor(0, 0), 15);
        Sampler.Cursor after7;
        try (ShardSet set = ShardSet.open(png);
             BatchLoader loader = new BatchLoader(set, new Sampler(set.size(), 11, 0, 1).strided(new Sampler.Cursor(0, 0)), 16, t, 5, 2, 3, true, w -> { })) {
            Batch last = null;
            for (int b = 0; b < 7; b++) {
                if (last != null) {
                    last.close();
                }
                last = loader.next();
            }
            after7 = last.cursorAfter();
            last.close();
        }
        List<float[]> resumed = stream(png, t, 1, after7, 8);
        for (int b = 0; b < 8; b++) {
            assertArrayEquals(straight.get(7 + b), resumed.get(b), "batch " + (7 + b));
        }
    }

    @Test
    void steadyStateStreamingAllocatesLittleHeap() throws IOException {
        var threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (ShardSet set = ShardSet.open(raw);
             BatchLoader loader = new BatchLoader(set, new Sampler(set.size(), 1, 0, 1).strided(new Sampler.Cursor(0, 0)), 64,
                     new ToTensor(20, 20, Normalization.IMAGENET), 5, 0, 0, true, w -> { })) {
            for (int i = 0; i < 20; i++) {
                loader.next().close();
            }
            long before = threads.getCurrentThreadAllocatedBytes();
            int batches = 50;
            for (int i = 0; i < batches; i++) {
                loader.next().close();
            }
            long perBatch = (threads.getCurrentThreadAllocatedBytes() - before) / batches;
            // The batch's pixels are 77 KB of uint8 in the shards and 307 KB of floats in the recycled native
            // buffer. Any copy of them through the heap would allocate at least the 77 KB; what the heap
            // sees instead is bookkeeping (ids, labels, per-sample generators and views), a few hundred
            // bytes per image.
            long sourceBytes = 64L * 3 * 20 * 20;
            assertTrue(perBatch < sourceBytes / 2, "heap bytes per batch: " + perBatch + " for " + sourceBytes + " bytes of pixels");
        }
    }

    @Test
    void undecodableImagesAreSkippedOrFatalWhenStrict() throws IOException {
        var bad = new ImageSource() {
            final Synthetic good = new Synthetic(40, 20, 3, "train");

            public DatasetInfo info() {
                return good.info();
            }

            public long size() {
                return 40;
            }

            public Encoding encoding() {
                return Encoding.ORIGINAL;
            }

            public int[] rawShape() {
                return null;
            }

            public Sample get(long i) throws IOException {
                Sample s = DatasetWriter.png(good.get(i), good.rawShape());
                return i % 10 == 3 ? new Sample(i, s.label(), new byte[] {1, 2, 3}, "broken.png") : s;
            }
        };
        Path data = dir.resolve("broken");
        DatasetWriter.write(bad, data, 1, null, Map.of(), n -> { });
        List<String> warnings = new ArrayList<>();
        try (ShardSet set = ShardSet.open(data);
             BatchLoader loader = new BatchLoader(set, new Sampler(40, 0, 0, 1).strided(new Sampler.Cursor(0, 0)), 40,
                     new ToTensor(20, 20, Normalization.IMAGENET), 0, 0, 0, false, warnings::add)) {
            try (Batch b = loader.next()) {
                assertEquals(36, b.size());
                assertEquals(4, b.skipped());
            }
            assertEquals(4, warnings.size());
            assertTrue(warnings.getFirst().contains("undecodable"), warnings.getFirst());
        }
        try (ShardSet set = ShardSet.open(data);
             BatchLoader loader = new BatchLoader(set, new Sampler(40, 0, 0, 1).strided(new Sampler.Cursor(0, 0)), 40,
                     new ToTensor(20, 20, Normalization.IMAGENET), 0, 0, 1, true, w -> { })) {
            IllegalStateException e = assertThrows(IllegalStateException.class, loader::next);
            assertTrue(e.getMessage().contains("cannot be decoded"), e.getMessage());
        }
    }

    /** A transform that fails on every image. */
    private static final class Failing implements Transform {
        @Override
        public int[] outputShape() {
            return new int[] {3, 20, 20};
        }

        @Override
        public void apply(Image image, SplittableRandom rng, MemorySegment out, long offset) {
            throw new IllegalArgumentException("no such transform today");
        }
    }

    @Test
    void aFailingTransformGivesItsBufferBackAndNamesTheSample() {
        // Two buffers without threads, prefetch + 2 with them: a loader that kept the buffers of failed batches would block
        // on the third (or fifth) batch forever instead of failing again.
        for (int threads : new int[] {0, 2}) {
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                try (ShardSet set = ShardSet.open(raw);
                     BatchLoader loader = new BatchLoader(set, new Sampler(set.size(), 0, 0, 1).strided(new Sampler.Cursor(0, 0)), 8, new Failing(), 0,
                             threads, 1, true, w -> { })) {
                    for (int i = 0; i < 6; i++) {
                        IllegalStateException e = assertThrows(IllegalStateException.class, loader::next);
                        assertTrue(e.getMessage().contains(raw.toString()) && e.getMessage().contains("cannot be transformed")
                                && e.getMessage().contains("no such transform today"), e.getMessage());
                    }
                }
            });
        }
    }

    @Test
    void aListOfSamplesEndsInShortThenEmptyBatches() throws IOException {
        try (ShardSet set = ShardSet.open(raw);
             BatchLoader loader = new BatchLoader(set, new ListedSamples(new int[] {9, 3, 0, 7, 1, 2, 8, 4, 6, 5}), 8,
                     new ToTensor(20, 20, Normalization.IMAGENET), 0, 1, 2, true, w -> { })) {
            int[] sizes = {8, 2, 0, 0};
            for (int size : sizes) {
                try (Batch b = loader.next()) {
                    assertEquals(size, b.size());
                    assertEquals(0, b.skipped());
                }
            }
        }
    }
}
