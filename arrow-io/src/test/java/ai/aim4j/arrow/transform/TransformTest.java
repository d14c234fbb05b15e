package ai.aim4j.arrow.transform;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

class TransformTest {
    private static Image image(int h, int w, int c, IntUnaryOperator value) {
        byte[] px = new byte[h * w * c];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) value.applyAsInt(i);
        }
        return new Image(h, w, c, MemorySegment.ofArray(px));
    }

    @Test
    void resamplingToTheSameSizeIsTheIdentity() {
        Image img = image(7, 9, 3, i -> i * 37);
        float[] out = Resampler.resize(img, 0, 0, 9, 7, 7, 9);
        for (int i = 0; i < out.length; i++) {
            assertEquals(img.value(i), out[i]);
        }
    }

    @Test
    void resamplingKeepsConstantsAndAveragesWhenHalving() {
        Image flat = image(30, 40, 1, i -> 77);
        for (float v : Resampler.resize(flat, 0, 0, 40, 30, 11, 13)) {
            assertEquals(77f, v);
        }
        // Halving a 2-pixel checker averages it (antialiasing): a filter without it would alias.
        Image checker = image(32, 32, 1, i -> ((i / 32 + i % 32) % 2) * 200);
        float[] half = Resampler.resize(checker, 0, 0, 32, 32, 16, 16);
        for (int y = 2; y < 14; y++) {
            for (int x = 2; x < 14; x++) {
                assertEquals(100f, half[y * 16 + x], 1.0f);
            }
        }
    }

    @Test
    void evalTransformOfAConstantImageIsTheNormalizedConstant() {
        Image img = image(50, 80, 3, i -> 128);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(3 * 32 * 32 * 4L);
            new EvalTransform(32, Normalization.IMAGENET).apply(img, new SplittableRandom(0), out, 0);
            for (int c = 0; c < 3; c++) {
                float expected = (128 / 255f - Normalization.IMAGENET.mean()[c]) / Normalization.IMAGENET.std()[c];
                assertEquals(expected, out.get(Transform.F32, (c * 1024 + 500) * 4L), 1e-5f);
            }
        }
    }

    @Test
    void evalTransformCropsTheCenter() {
        // 256 x 512 columns-hold-their-index image: the short side is already ceil(224 / 0.875) = 256, so
        // the resize is the identity and the crop starts at column round((512 - 224) / 2) = 144.
        Image img = image(256, 512, 1, i -> (i % 512) % 256);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(224 * 224 * 4L);
            Normalization unit = new Normalization(new float[] {0f}, new float[] {1f});
            new EvalTransform(224, unit).apply(img, null, out, 0);
            assertEquals(144 / 255f, out.get(Transform.F32, (100 * 224) * 4L), 1e-6f);
            assertEquals(145 / 255f, out.get(Transform.F32, (100 * 224 + 1) * 4L), 1e-6f);
        }
    }

    @Test
    void randomResizedCropStaysInsideAndFollowsItsGenerator() {
        SplittableRandom r = new SplittableRandom(4);
        for (int k = 0; k < 2000; k++) {
            int h = 10 + r.nextInt(200);
            int w = 10 + r.nextInt(200);
            int[] box = PretrainTransform.cropBox(h, w, new SplittableRandom(k));
            assertTrue(box[0] >= 0 && box[1] >= 0 && box[0] + box[2] <= h && box[1] + box[3] <= w, () -> Arrays.toString(box));
            assertArrayEquals(box, PretrainTransform.cropBox(h, w, new SplittableRandom(k)));
            double scale = (double) box[2] * box[3] / (h * w);
            assertTrue(scale <= 1.0 + 1e-9);
        }
    }

    @Test
    void grayImagesExpandToThreeChannels() {
        Image gray = image(4, 4, 1, i -> 51);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(3 * 16 * 4L);
            new ToTensor(4, 4, Normalization.IMAGENET).apply(gray, new SplittableRandom(0), out, 0);
            for (int c = 0; c < 3; c++) {
                assertEquals((0.2f - Normalization.IMAGENET.mean()[c]) / Normalization.IMAGENET.std()[c], out.get(Transform.F32, c * 64L), 1e-6f);
            }
        }
    }
}
