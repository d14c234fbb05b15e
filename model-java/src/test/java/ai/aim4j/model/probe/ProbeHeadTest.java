package ai.aim4j.model.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.aten.Aten;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.tensor.HostTensor;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The trainable probe head against references written here as plain loops: training-mode logits
 * with batch statistics, PyTorch's running-statistics update, and every gradient against central
 * finite differences, all in float64; and the float32 head under bf16 autocast against the same
 * reference.
 */
class ProbeHeadTest {
    private static final int B = 3;
    private static final int N = 5;
    private static final int D = 8;
    private static final int H = 2;
    private static final int K = 4;

    private static AimConfig config() throws Exception {
        return AimConfig.fromJson(new ObjectMapper().readTree("{\"img_size\":8,\"patch_size\":4,\"num_channels\":1,\"embed_dim\":8,"
                + "\"num_blocks\":1,\"num_heads\":2,\"probe_layers\":[0],\"num_classes\":4}"), "t");
    }

    private static Map<String, HostTensor> randomHead(long seed) throws Exception {
        Map<String, HostTensor> t;
        try (ProbeHead fresh = ProbeHead.init(config(), seed)) {
            t = new LinkedHashMap<>(fresh.stateDict());
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (String k : new String[] {"head.cls_token", "head.bn.running_mean"}) {
            HostTensor h = t.get(k);
            float[] v = new float[(int) h.numel()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) r.nextGaussian();
            }
            t.put(k, HostTensor.ofFloats(h.shape(), v));
        }
        return t;
    }

    /** The head in plain Java: BN with the given statistics, k/v, per-head softmax attention from cls_token, mean, linear. */
    private static double[] reference(double[] x, double[] mean, double[] var, Map<String, double[]> w) {
        double[] cls = w.get("head.cls_token");
        double[] wk = w.get("head.k.weight");
        double[] wv = w.get("head.v.weight");
        double[] wl = w.get("head.linear.weight");
        int hd = D / H;
        double[] logits = new double[B * K];
        for (int b = 0; b < B; b++) {
            double[][] xn = new double[N][D];
            for (int n = 0; n < N; n++) {
                for (int d = 0; d < D; d++) {
                    xn[n][d] = (x[(b * N + n) * D + d] - mean[d]) / Math.sqrt(var[d] + 1e-6);
                }
            }
            double[][] kk = new double[N][D];
            double[][] vv = new double[N][D];
            for (int n = 0; n < N; n++) {
                for (int o = 0; o < D; o++) {
                    for (int i = 0; i < D; i++) {
                        kk[n][o] += wk[o * D + i] * xn[n][i];
                        vv[n][o] += wv[o * D + i] * xn[n][i];
                    }
                }
            }
            double[] pooled = new double[D];
            for (int h = 0; h < H; h++) {
                double[] s = new double[N];
                double max = Double.NEGATIVE_INFINITY;
                for (int n = 0; n < N; n++) {
                    for (int j = 0; j < hd; j++) {
                        s[n] += cls[h * hd + j] * kk[n][h * hd + j];
                    }
                    s[n] /= Math.sqrt(hd);
                    max = Math.max(max, s[n]);
                }
                double z = 0;
                for (int n = 0; n < N; n++) {
                    s[n] = Math.exp(s[n] - max);
                    z += s[n];
                }
                for (int n = 0; n < N; n++) {
                    for (int j = 0; j < hd; j++) {
                        pooled[h * hd + j] += s[n] / z * vv[n][h * hd + j];
                    }
                }
            }
            for (int c = 0; c < K; c++) {
                for (int d = 0; d < D; d++) {
                    logits[b * K + c] += wl[c * D + d] * pooled[d];
                }
            }
        }
        return logits;
    }

    private static double[] features(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] x = new double[B * N * D];
        for (int i = 0; i < x.length; i++) {
            x[i] = 2 * r.nextGaussian() + (i % D) * 0.3;
        }
        return x;
    }

    @Test
    void trainingModeUsesBatchStatisticsAndMovesTheRunningOnes() throws Exception {
        Map<String, HostTensor> init = randomHead(1);
        double[] x = features(2);
        double[] mean = new double[D];
        double[] var = new double[D];
        for (int d = 0; d < D; d++) {
            for (int i = 0; i < B * N; i++) {
                mean[d] += x[i * D + d] / (B * N);
            }
            for (int i = 0; i < B * N; i++) {
                var[d] += Math.pow(x[i * D + d] - mean[d], 2) / (B * N);
            }
        }
        Map<String, double[]> w = new LinkedHashMap<>();
        init.forEach((k, v) -> w.put(k, v.toDoubles()));
        double[] expected = reference(x, mean, var, w);
        try (ProbeHead head = ProbeHead.create(config(), init, DataType.FLOAT64); NDManager m = NDManager.newBaseManager()) {
            double[] got = head.forward(m.create(x, new Shape(B, N, D)), true).toDoubleArray();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], got[i], 1e-10, "logit " + i);
            }
            var state = head.stateDict();
            double[] rm = state.get("head.bn.running_mean").toDoubles();
            double[] rv = state.get("head.bn.running_var").toDoubles();
            double[] rm0 = w.get("head.bn.running_mean");
            double[] rv0 = w.get("head.bn.running_var");
            for (int d = 0; d < D; d++) {
                assertEquals(0.9 * rm0[d] + 0.1 * mean[d], rm[d], 1e-12);
                assertEquals(0.9 * rv0[d] + 0.1 * var[d] * (B * N) / (B * N - 1.0), rv[d], 1e-12); // unbiased, as PyTorch
            }
            assertEquals(1.0, state.get("head.bn.num_batches_tracked").toDoubles()[0]);
            // Eval mode uses the running statistics.
            double[] evalExpected = reference(x, rm, rv, w);
            double[] evalGot = head.forward(m.create(x, new Shape(B, N, D)), false).toDoubleArray();
            for (int i = 0; i < evalExpected.length; i++) {
                assertEquals(evalExpected[i], evalGot[i], 1e-10);
            }
        }
    }

    @Test
    void gradientsMatchFiniteDifferences() throws Exception {
        Map<String, HostTensor> init = randomHead(3);
        double[] x = features(4);
        double[] r = features(5);
        try (ProbeHead head = ProbeHead.create(config(), init, DataType.FLOAT64); NDManager m = NDManager.newBaseManager()) {
            NDArray weights = m.create(Arrays.copyOf(r, B * K), new Shape(B, K));
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(head.forward(m.create(x, new Shape(B, N, D)), false).mul(weights).sum());
            }
            Map<String, double[]> w = new LinkedHashMap<>();
            init.forEach((k, v) -> w.put(k, v.toDoubles()));
            double[] mean = w.get("head.bn.running_mean");
            double[] var = w.get("head.bn.running_var");
            double[] rw = Arrays.copyOf(r, B * K);
            for (var e : head.trainableParameters().entrySet()) {
                double[] grad = e.getValue().getGradient().toDoubleArray();
                double[] p = w.get(e.getKey());
                for (int i = 0; i < p.length; i += 3) {
                    double keep = p[i];
                    p[i] = keep + 1e-6;
                    double up = dot(reference(x, mean, var, w), rw);
                    p[i] = keep - 1e-6;
                    double down = dot(reference(x, mean, var, w), rw);
                    p[i] = keep;
                    assertEquals((up - down) / 2e-6, grad[i], 1e-6 * (1 + Math.abs(grad[i])), e.getKey() + "[" + i + "]");
                }
            }
        }
    }

    /**
     * Float32 weights under bf16 autocast (every product of the head in bf16) against the float64
     * reference, eval mode. Tolerance 3% of the logits' scale: bf16 keeps 8 significant bits (a relative
     * rounding of 2^-9 = 0.2% per cast), and a logit passes through five roundings of sums of up to
     * eight terms. The float32 head is within 1e-5 of it, so the bf16 one differing by more shows that the
     * products did run in bf16.
     */
    @Test
    void bf16AutocastStaysWithinBf16RoundingOfTheReference() throws Exception {
        Map<String, HostTensor> init = randomHead(6);
        double[] x = features(7);
        Map<String, double[]> w = new LinkedHashMap<>();
        init.forEach((k, v) -> w.put(k, v.toDoubles()));
        double[] expected = reference(x, w.get("head.bn.running_mean"), w.get("head.bn.running_var"), w);
        double scale = Arrays.stream(expected).map(Math::abs).max().orElseThrow();
        try (ProbeHead head = ProbeHead.create(config(), init, DataType.FLOAT32); NDManager m = NDManager.newBaseManager()) {
            NDArray features = m.create(x, new Shape(B, N, D)).toType(DataType.FLOAT32, false);
            double[] fp32 = head.forward(features, false).toType(DataType.FLOAT64, false).toDoubleArray();
            double[] bf16;
            try (Autocast ignored = Autocast.to(DataType.BFLOAT16)) {
                bf16 = Aten.toType(head.forward(features, false), DataType.FLOAT64).toDoubleArray();
            }
            double worstBf16 = 0;
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], fp32[i], 1e-5 * scale, "float32 logit " + i);
                assertEquals(expected[i], bf16[i], 0.03 * scale, "bf16 logit " + i);
                worstBf16 = Math.max(worstBf16, Math.abs(expected[i] - bf16[i]));
            }
            assertTrue(worstBf16 > 1e-4 * scale, "bf16 logits as exact as float32 ones: the products did not run in bf16");
        }
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }
}
