package ai.aim4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.config.PretrainConfig;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The training loss ({@link AimPretraining#loss}: the pixel head on the scored positions only) is the
 * loss of the full forward pass ({@link AimPretraining#forward}: the head on every token, as ml-l3m
 * computes it), with the same gradients. In float64, where the two orders of summation agree to about
 * 1e-15 relative; the bound 1e-12 leaves room for that and still catches one wrong row (the test's
 * rows differ at order 1).
 */
class TrainingLossTest {
    private static final PretrainConfig CONFIG = new PretrainConfig(AimConfig.vit("t", 16, 4, 3, 32, 2, 2).withLayerNormEps(1e-5), 32, 2, 4, 1e-5);
    private static final int TOKENS = 16;
    private static final long[] IDS = {0, 1, 2, 3};
    private static final double RELATIVE = 1e-12;

    /** The loss sum, its term count and every gradient of the sum. */
    private record Outcome(double sum, double count, Map<String, double[]> gradients) {}

    private static Outcome run(boolean trainingPath) {
        try (AimPretraining model = AimPretraining.initialize(CONFIG, 7, DataType.FLOAT64); NDManager scope = NDManager.newBaseManager()) {
            NDArray images = images(scope);
            boolean[] notPrefix = PrefixCausalMask.sample(5, new long[IDS.length], IDS, TOKENS);
            // The last image's prefix is the whole image (a mask the sampler never draws, a caller's may):
            // nothing of it is scored, by either path.
            Arrays.fill(notPrefix, (IDS.length - 1) * TOKENS, IDS.length * TOKENS, false);
            NDArray prefix = scope.create(notPrefix, new Shape(IDS.length, TOKENS));
            NDArray sum;
            double count;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                if (trainingPath) {
                    PixelLoss.Terms t = model.loss(images, prefix);
                    sum = t.sum();
                    count = t.count();
                } else {
                    PixelLoss.Result r = model.forward(images, prefix).loss();
                    sum = r.sum();
                    count = r.count();
                }
                gc.backward(sum);
            }
            Map<String, double[]> gradients = new LinkedHashMap<>();
            model.trainableParameters().forEach((k, p) -> {
                try (NDArray g = p.getGradient()) {
                    gradients.put(k, g.toDoubleArray());
                }
            });
            return new Outcome(sum.getDouble(), count, gradients);
        }
    }

    private static NDArray images(NDManager scope) {
        double[] v = new double[IDS.length * 3 * 16 * 16];
        SplittableRandom rng = new SplittableRandom(11);
        for (int i = 0; i < v.length; i++) {
            v[i] = rng.nextGaussian();
        }
        return scope.create(v, new Shape(IDS.length, 3, 16, 16));
    }

    @Test
    void trainingLossAndGradientsAreThoseOfTheFullForwardPass() {
        Outcome full = run(false);
        Outcome training = run(true);
        assertEquals(full.count(), training.count(), "scored positions");
        assertTrue(full.count() < IDS.length * (TOKENS - 1), "some positions are in a prefix");
        assertEquals(full.sum(), training.sum(), RELATIVE * Math.abs(full.sum()), "loss sum");
        for (var e : full.gradients().entrySet()) {
            double[] want = e.getValue();
            double[] got = training.gradients().get(e.getKey());
            double scale = 0;
            double worst = 0;
            for (int i = 0; i < want.length; i++) {
                scale = Math.max(scale, Math.abs(want[i]));
                worst = Math.max(worst, Math.abs(want[i] - got[i]));
            }
            assertTrue(worst <= RELATIVE * scale, e.getKey() + ": max |difference| " + worst + " of max |gradient| " + scale);
        }
    }
}
