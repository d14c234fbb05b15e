package ai.aim4j.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.nn.Kind;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.weights.Npz;
import ai.aim4j.weights.WeightFiles;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;

/**
 * Configurations the official fixtures do not cover, checked against references derived by hand:
 * biases (zero biases reproduce the official no-bias outputs; a bias on the last fc2 shifts the last
 * block's output by exactly that bias) and rectangular, multi-channel patches (against a direct
 * convolution written as loops). Run in float64 so that "exactly" means 1e-12.
 */
class ModelVariantsTest {
    private static final double EXACT = 1e-12;

    @Test
    void biasesFollowTheirDefinition() throws IOException {
        AimConfig official = Fixtures.config("tiny-gray");
        AimConfig withBias = AimConfig.fromJson(official.toJson().put("use_bias", true), "bias");
        try (NamedTensors w = WeightFiles.read(Fixtures.shipped("tiny-gray").resolve("weights.safetensors"));
             NamedTensors inputs = Npz.read(Fixtures.shipped("tiny-gray").resolve("inputs.npz"));
             NDManager m = NDManager.newBaseManager()) {
            SequencedMap<String, HostTensor> zero = new LinkedHashMap<>(w.tensors());
            new Aim(withBias, true).namedParameters().forEach((k, p) -> {
                if (!zero.containsKey(k) && p.kind() == Kind.BIAS) {
                    zero.put(k, HostTensor.ofFloats(p.shape(), new float[(int) p.numel()]));
                }
            });
            SequencedMap<String, HostTensor> shifted = new LinkedHashMap<>(zero);
            float[] b = new float[64];
            for (int i = 0; i < b.length; i++) {
                b[i] = 0.01f * (i - 32);
            }
            shifted.put("trunk.blocks.1.mlp.fc2.bias", HostTensor.ofFloats(new long[] {64}, b));
            NDArray images = inputs.get("images").toNDArray(m);
            double[] base = lastBlock(official, NamedTensors.inMemory(w.tensors()), images);
            double[] zeroBias = lastBlock(withBias, NamedTensors.inMemory(zero), images);
            double[] withShift = lastBlock(withBias, NamedTensors.inMemory(shifted), images);
            for (int i = 0; i < base.length; i++) {
                assertEquals(base[i], zeroBias[i], EXACT);
                assertEquals(base[i] + (double) b[i % 64], withShift[i], EXACT);
            }
        }
    }

    private static double[] lastBlock(AimConfig c, NamedTensors w, NDArray images) {
        try (Aim aim = Aim.load(c, w, DataType.FLOAT64, "test"); NDManager scope = NDManager.newBaseManager()) {
            NDArray x = images.duplicate();
            x.attach(scope);
            NDList out = aim.extractFeatures(x, -1, null);
            return out.getLast().toDoubleArray();
        }
    }

    @Test
    void rectangularMultiChannelPatchesMatchADirectConvolution() throws IOException {
        AimConfig c = AimConfig.fromJson(new ObjectMapper().readTree("{\"img_size\":[6,12],\"patch_size\":[2,3],\"num_channels\":2,"
                + "\"embed_dim\":8,\"num_blocks\":1,\"num_heads\":2,\"probe_layers\":[0],\"num_classes\":3}"), "rect");
        SequencedMap<String, HostTensor> w = new LinkedHashMap<>(Initializer.materialize(new Aim(c, true), 5));
        float[] bias = new float[8];
        for (int i = 0; i < 8; i++) {
            bias[i] = 0.1f * i;
        }
        w.put("preprocessor.patchifier.proj.bias", HostTensor.ofFloats(new long[] {8}, bias));
        double[] kernel = w.get("preprocessor.patchifier.proj.weight").toDoubles(); // (D, C, ph, pw)
        try (NDManager m = NDManager.newBaseManager();
             Aim aim = Aim.load(c, NamedTensors.inMemory(w), DataType.FLOAT64, "rect")) {
            double[] img = new double[2 * 6 * 12];
            for (int i = 0; i < img.length; i++) {
                img[i] = Math.sin(i * 0.37);
            }
            NDArray images = m.create(img, new Shape(1, 2, 6, 12));
            // The reference: the convolution by loops, then the LayerNorm (weight 1, bias 0 from init).
            double[] tokens = aim.patchifierTokens(images).toDoubleArray();
            int gh = 3;
            int gw = 4;
            for (int r = 0; r < gh; r++) {
                for (int col = 0; col < gw; col++) {
                    double[] conv = new double[8];
                    for (int d = 0; d < 8; d++) {
                        double s = bias[d];
                        for (int ch = 0; ch < 2; ch++) {
                            for (int py = 0; py < 2; py++) {
                                for (int px = 0; px < 3; px++) {
                                    s += kernel[((d * 2 + ch) * 2 + py) * 3 + px] * img[(ch * 6 + r * 2 + py) * 12 + col * 3 + px];
                                }
                            }
                        }
                        conv[d] = s;
                    }
                    double mean = Arrays.stream(conv).average().orElseThrow();
                    double var = Arrays.stream(conv).map(v -> (v - mean) * (v - mean)).average().orElseThrow();
                    int token = r * gw + col; // row-major grid order
                    for (int d = 0; d < 8; d++) {
                        assertEquals((conv[d] - mean) / Math.sqrt(var + 1e-6), tokens[token * 8 + d], 1e-9, "token " + token + " channel " + d);
                    }
                }
            }
            // and the whole model runs on this geometry
            assertEquals(3, aim.forward(images).getShape().get(1));
        }
    }
}
