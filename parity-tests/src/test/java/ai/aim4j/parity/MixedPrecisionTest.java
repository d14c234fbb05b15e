package ai.aim4j.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.AimPretraining;
import ai.aim4j.model.aten.Aten;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.weights.WeightFiles;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The pre-training model under bf16 autocast is bf16 arithmetic where the policy says so: the pixel
 * head's predictions come out in bf16, on the bf16 grid, the trunk's residual stream and the loss stay
 * float32, and the loss moves by bf16-sized amounts only (under 1% here) from the float32 one.
 */
class MixedPrecisionTest {
    @Test
    void theProductsRunInBf16AndTheLossStaysFloat32() throws Exception {
        Path dir = Fixtures.shipped("pretrain-small");
        PretrainConfig config = ModelSpecs.pretraining(dir.resolve("config.json").toString());
        var t = config.trunk();
        try (NamedTensors weights = WeightFiles.read(dir.resolve("weights.safetensors"));
             AimPretraining model = AimPretraining.create(config, weights.tensors(), DataType.FLOAT32, "pretrain-small");
             NDManager m = NDManager.newBaseManager()) {
            int b = 4;
            int n = t.numPatches();
            SplittableRandom rng = new SplittableRandom(3);
            float[] pixels = new float[b * t.channels() * t.imgSize()[0] * t.imgSize()[1]];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (float) rng.nextGaussian();
            }
            boolean[] notPrefix = new boolean[b * n];
            for (int i = 0; i < b; i++) {
                for (int j = 1 + i; j < n; j++) {
                    notPrefix[i * n + j] = true;
                }
            }
            NDArray images = m.create(pixels, new Shape(b, t.channels(), t.imgSize()[0], t.imgSize()[1]));
            NDArray mask = m.create(notPrefix, new Shape(b, n));
            AimPretraining.Forward full = model.forward(images, mask);
            AimPretraining.Forward mixed;
            try (Autocast scope = Autocast.to(DataType.BFLOAT16)) {
                mixed = model.forward(images, mask);
            }
            assertEquals(DataType.BFLOAT16, Aten.dataType(mixed.preds()));
            assertEquals(DataType.FLOAT32, Aten.dataType(mixed.trunkTokens()));
            assertEquals(DataType.FLOAT32, Aten.dataType(mixed.loss().loss()));
            float[] preds = Aten.toType(mixed.preds(), DataType.FLOAT32).toFloatArray();
            for (float v : preds) {
                assertEquals(0, Float.floatToRawIntBits(v) & 0xFFFF, "a bf16 value has no low 16 bits: " + v);
            }
            double f32 = full.loss().loss().getFloat();
            double bf16 = mixed.loss().loss().getFloat();
            assertTrue(f32 != bf16, "the mixed-precision loss equals the float32 one to the bit: no bf16 arithmetic happened");
            assertTrue(Math.abs(bf16 - f32) < 0.01 * f32, "loss " + bf16 + " vs float32 " + f32);
        }
    }
}
