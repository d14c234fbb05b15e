package ai.aim4j.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.model.optim.GradClip;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Global-norm clipping against torch's own ({@code torch.nn.utils.clip_grads_with_norm_}, the second
 * half of {@code clip_grad_norm_}) bit for bit: the same float32 gradients (two tensors, norms spread
 * over four decades) clipped at the recipe's 1.0 and the probe's 3.0 with the global norm aim4j
 * measured, every clipped value compared as its bits. torch forms the coefficient as {@code
 * reciprocal(norm + 1e-6) * max_norm} (a Python number divided by a tensor), which differs from a
 * plain division by one unit in the last place for some norms. The norm itself is given to torch: the
 * norm kernels of libtorch 2.7.1 and of the PyTorch in the Python environment may round a small
 * vector's norm a unit apart (they sum in different orders).
 */
class ClippingAgainstTorchTest {
    private static final String CLIP = """
            import json, sys, numpy as np, torch
            trials = json.load(open(sys.argv[1]))
            out = []
            for t in trials:
                grads = [torch.tensor(g, dtype=torch.float32) for g in t["grads"]]
                params = [torch.zeros_like(g, requires_grad=True) for g in grads]
                for p, g in zip(params, grads):
                    p.grad = g.clone()
                torch.nn.utils.clip_grads_with_norm_(params, t["max_norm"], torch.tensor(t["norm"], dtype=torch.float32))
                out.append([np.asarray(p.grad.numpy(), dtype=np.float32).view(np.int32).tolist() for p in params])
            print(json.dumps(out))
            """;
    private static final double[] MAX_NORMS = {1.0, 3.0};
    private static final int TRIALS = 150;

    @Test
    void everyClippedGradientHasTorchsBits(@TempDir Path dir) throws Exception {
        Random random = new Random(7);
        List<float[][]> trials = new ArrayList<>();
        List<Double> maxNorms = new ArrayList<>();
        for (int i = 0; i < TRIALS; i++) {
            float scale = (float) Math.pow(10, -1 + 4 * random.nextDouble());
            float[][] grads = new float[2][];
            for (int k = 0; k < grads.length; k++) {
                grads[k] = new float[3 + random.nextInt(6)];
                for (int j = 0; j < grads[k].length; j++) {
                    grads[k][j] = (float) random.nextGaussian() * scale;
                }
            }
            trials.add(grads);
            maxNorms.add(MAX_NORMS[i % MAX_NORMS.length]);
        }
        List<float[][]> clippedByAim4j = new ArrayList<>();
        List<GradClip.Result> results = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            for (int i = 0; i < TRIALS; i++) {
                List<NDArray> grads = new ArrayList<>();
                for (float[] g : trials.get(i)) {
                    grads.add(m.create(g));
                }
                results.add(GradClip.clip(grads, maxNorms.get(i)));
                clippedByAim4j.add(grads.stream().map(NDArray::toFloatArray).toArray(float[][]::new));
            }
        }
        ObjectMapper json = new ObjectMapper();
        var request = json.createArrayNode();
        for (int i = 0; i < TRIALS; i++) {
            request.addObject().put("max_norm", maxNorms.get(i)).put("norm", results.get(i).norm()).set("grads", json.valueToTree(trials.get(i)));
        }
        Path file = dir.resolve("trials.json");
        Files.writeString(file, json.writeValueAsString(request));
        Process p = PythonEnvironment.locate().process(List.of("-c", CLIP, file.toString())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        String[] lines = out.strip().split("\n");
        JsonNode expected = json.readTree(lines[lines.length - 1]);

        int clipped = 0;
        for (int i = 0; i < TRIALS; i++) {
            clipped += results.get(i).coef() < 1 ? 1 : 0;
            float[][] got = clippedByAim4j.get(i);
            for (int k = 0; k < got.length; k++) {
                for (int j = 0; j < got[k].length; j++) {
                    assertEquals(expected.get(i).get(k).get(j).asInt(), Float.floatToRawIntBits(got[k][j]),
                            "trial " + i + " (max norm " + maxNorms.get(i) + ", norm " + results.get(i).norm() + "), tensor " + k + " value " + j);
                }
            }
        }
        assertTrue(clipped > TRIALS / 2, clipped + " of " + TRIALS + " trials clipped: the draw must exercise the coefficient");
    }
}
