package ai.aim4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.nn.Model;
import ai.aim4j.model.probe.ProbeHead;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * The gradients of a step do not depend on what the garbage collector does between the forward and
 * the backward pass: every tensor autograd keeps for the backward pass owns engine memory. (A scalar
 * wrapped around a Java buffer, as DJL's {@code mul(Number)} makes, is freed by a collection; the
 * backward pass then read whatever reused that memory, and gradients were intermittently wrong.)
 */
class GradientLifetimeTest {
    private static final AimConfig TRUNK = AimConfig.vit("t", 16, 4, 3, 32, 2, 2).withNumClasses(5);
    private static final PretrainConfig PRETRAINING = new PretrainConfig(TRUNK.withLayerNormEps(1e-5), 32, 1, 4, 1e-5);

    /** The loss of a model on fixed inputs of {@code scope}. */
    private interface Loss<M> extends BiFunction<M, NDManager, NDArray> {}

    private static <M extends Model> Map<String, float[]> gradients(M model, Loss<M> loss, boolean collectInBetween) {
        try (model; NDManager scope = NDManager.newBaseManager()) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray value = loss.apply(model, scope);
                if (collectInBetween) {
                    reuseFreedMemory();
                }
                gc.backward(value);
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            model.trainableParameters().forEach((k, p) -> {
                try (NDArray g = p.getGradient()) {
                    out.put(k, g.toFloatArray());
                }
            });
            return out;
        }
    }

    /** Collects garbage, then fills freshly allocated small native buffers (which reuse freed ones) with NaN. */
    private static void reuseFreedMemory() {
        List<ByteBuffer> keep = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            System.gc();
            for (int i = 0; i < 20_000; i++) {
                ByteBuffer b = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
                b.putDouble(0, Double.NaN);
                keep.add(b);
            }
        }
    }

    private static NDArray gaussian(NDManager scope, long seed, long... shape) {
        float[] v = new float[(int) new Shape(shape).size()];
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) rng.nextGaussian();
        }
        return scope.create(v, new Shape(shape));
    }

    private static void assertSameGradients(Map<String, float[]> calm, Map<String, float[]> collected) {
        List<String> differ = calm.keySet().stream().filter(k -> !Arrays.equals(calm.get(k), collected.get(k))).toList();
        assertEquals(List.of(), differ, "gradients changed by a garbage collection between forward and backward");
    }

    @Test
    void preTrainingGradientsSurviveAGarbageCollection() {
        Loss<AimPretraining> loss = (m, scope) -> m.loss(gaussian(scope, 1, 2, 3, 16, 16),
                scope.create(PrefixCausalMask.sample(0, new long[2], new long[] {0, 1}, 16), new Shape(2, 16))).sum();
        assertSameGradients(gradients(AimPretraining.initialize(PRETRAINING, 3, DataType.FLOAT32), loss, false),
                gradients(AimPretraining.initialize(PRETRAINING, 3, DataType.FLOAT32), loss, true));
    }

    @Test
    void probeHeadGradientsSurviveAGarbageCollection() {
        Loss<ProbeHead> loss = (m, scope) -> m.forward(gaussian(scope, 2, 4, 16, 32), true).square().mean();
        assertSameGradients(gradients(ProbeHead.init(TRUNK, 3), loss, false), gradients(ProbeHead.init(TRUNK, 3), loss, true));
    }
}
