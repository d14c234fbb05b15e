package ai.aim4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/** ml-aim's eval transform: output geometry, normalization, and where the center crop lands. */
class EvalTransformTest {
    @Test
    void normalizesAConstantImageExactly() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray hwc = m.full(new Shape(300, 400, 3), 128f);
            NDArray out = new EvalTransform(224, 224, 3).apply(hwc);
            assertEquals(new Shape(3, 224, 224), out.getShape());
            float[] v = out.toFloatArray();
            for (int c = 0; c < 3; c++) {
                float expected = (128f / 255f - EvalTransform.IMAGENET_MEAN[c]) / EvalTransform.IMAGENET_STD[c];
                assertEquals(expected, v[c * 224 * 224 + 1000], 1e-5); // bicubic reproduces constants up to rounding
            }
        }
    }

    @Test
    void cropsTheCenterOfTheResizedImage() {
        try (NDManager m = NDManager.newBaseManager()) {
            // 256 x 512: the short side is already ceil(224 / 0.875) = 256, so no resampling happens on it;
            // columns hold their index, so the crop's first column tells the offset: round((512 - 224) / 2) = 144.
            float[] px = new float[256 * 512];
            for (int y = 0; y < 256; y++) {
                for (int x = 0; x < 512; x++) {
                    px[y * 512 + x] = x % 256;
                }
            }
            NDArray hwc = m.create(px, new Shape(256, 512, 1));
            NDArray out = new EvalTransform(224, 224, 1).apply(hwc);
            float first = out.getFloat(0, 100, 0) * 0.5f + 0.5f;
            assertEquals(144f / 255f, first, 1e-5);
        }
    }
}
