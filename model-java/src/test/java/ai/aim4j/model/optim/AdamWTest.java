package ai.aim4j.model.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.aten.Aten;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fused AdamW against torch's default (foreach) AdamW, whose element-wise operations are
 * replayed here with DJL in torch's order: {@code _foreach_mul_(p, 1 - lr wd)},
 * {@code _foreach_lerp_(m, g, 1 - b1)}, {@code _foreach_mul_(v, b2)},
 * {@code _foreach_addcmul_(v, g, g, 1 - b2)}, {@code denom = sqrt(v) / sqrt(1 - b2^t) + eps},
 * {@code _foreach_addcdiv_(p, m, denom, -lr / (1 - b1^t))}.
 */
class AdamWTest {
    private static final AdamW.Hyper HYPER = AdamW.Hyper.RECIPE;

    /** Parameters of several shapes (one not a multiple of the vector width) with gradients set. */
    private static SequencedMap<String, NDArray> parameters(NDManager m, DataType type) {
        SequencedMap<String, NDArray> params = new LinkedHashMap<>();
        params.put("w", m.randomNormal(new Shape(37, 19)).toType(type, false));
        params.put("bias", m.randomNormal(new Shape(19)).mul(m.create(3f)).toType(type, false));
        params.put("pos", m.randomNormal(new Shape(2, 5, 3)).toType(type, false));
        params.values().forEach(p -> p.setRequiresGradient(true));
        return params;
    }

    /** Sets each gradient by back-propagating {@code sum(p * r)}, r normal times 10^(1-2 step). */
    private static void setGradients(SequencedMap<String, NDArray> params, NDManager m, int step) {
        params.values().forEach(InPlace::zeroGradient);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (NDArray p : params.values()) {
                // Magnitudes down to eps's, where the update is most sensitive to rounding.
                NDArray r = m.randomNormal(p.getShape()).mul(m.create((float) Math.pow(10, 1 - 2 * step))).toType(p.getDataType(), false);
                NDArray term = p.mul(r).sum();
                loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
        }
    }

    /** One foreach-order AdamW step of a single parameter, with the given state. */
    private static void foreachStep(NDArray p, NDArray g, NDArray mt, NDArray vt, long t, double lr, boolean decay) {
        if (decay) {
            Aten.scaleInPlace(List.of(p), 1 - lr * HYPER.weightDecay());
        }
        mt.addi(g.sub(mt).muli(1 - HYPER.beta1()));
        Aten.scaleInPlace(List.of(vt), HYPER.beta2());
        vt.addi(g.mul(1 - HYPER.beta2()).muli(g));
        NDArray denom = vt.sqrt().divi(Math.sqrt(1 - Math.pow(HYPER.beta2(), t))).addi(HYPER.eps());
        p.subi(mt.div(denom).muli(lr / (1 - Math.pow(HYPER.beta1(), t))));
    }

    /** Three steps, each from the same state on both sides: parameters and both moments. */
    @ParameterizedTest
    @EnumSource(value = DataType.class, names = {"FLOAT32", "FLOAT64"})
    void stepsAgreeWithForeachAdamW(DataType type) {
        try (NDManager m = NDManager.newBaseManager()) {
            m.getEngine().setRandomSeed(3);
            SequencedMap<String, NDArray> params = parameters(m, type);
            try (AdamW opt = new AdamW(params, HYPER, name -> name.equals("w"))) {
                for (int t = 1; t <= 3; t++) {
                    setGradients(params, m, t);
                    var before = opt.state();
                    SequencedMap<String, NDArray[]> expected = new LinkedHashMap<>();
                    for (var e : params.entrySet()) {
                        NDArray p = e.getValue().duplicate();
                        NDArray mt = before.get(e.getKey() + ".exp_avg").toNDArray(m);
                        NDArray vt = before.get(e.getKey() + ".exp_avg_sq").toNDArray(m);
                        foreachStep(p, e.getValue().getGradient(), mt, vt, t, 1e-3, opt.decays(e.getKey()));
                        expected.put(e.getKey(), new NDArray[] {p, mt, vt});
                    }
                    opt.step(1e-3);
                    var after = opt.state();
                    for (String k : params.keySet()) {
                        NDArray[] actual = {params.get(k), after.get(k + ".exp_avg").toNDArray(m), after.get(k + ".exp_avg_sq").toNDArray(m)};
                        for (int i = 0; i < 3; i++) {
                            assertClose(expected.get(k)[i], actual[i], k + " " + List.of("", "exp_avg", "exp_avg_sq").get(i) + " step " + t);
                        }
                    }
                }
            }
        }
    }

    /**
     * Within 2 ulps of the foreach value, or an absolute 3e-7 (float32; 1e-16 in float64) where it is
     * below 1: the bound {@code parity pretrain} holds a step to. Measured: at most 1 ulp, on a few
     * percent of the elements (the fused kernel computes {@code m b1 + g (1 - b1)} where foreach
     * lerps, and multiplies by the step size before dividing); 1 ulp near zero in float64.
     */
    private static void assertClose(NDArray expected, NDArray actual, String what) {
        boolean single = expected.getDataType() == DataType.FLOAT32;
        double[] e = expected.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        assertEquals(e.length, a.length);
        for (int i = 0; i < e.length; i++) {
            double ulp = single ? Math.ulp((float) e[i]) : Math.ulp(e[i]);
            double bound = Math.max(2 * ulp, Math.abs(e[i]) < 1 ? (single ? 3e-7 : 1e-16) : 0);
            double err = Math.abs(e[i] - a[i]);
            assertTrue(err <= bound, what + "[" + i + "]: " + a[i] + " vs " + e[i] + " (" + err / ulp + " ulps)");
        }
    }

    @Test
    void refusesMismatchedMoments() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.zeros(new Shape(3));
            NDArray wrong = m.zeros(new Shape(4));
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Aten.fusedAdamW(List.of(p), List.of(p), List.of(wrong), List.of(p), m.create(1f), 1e-3, 0.9, 0.95, 0, 1e-8));
            assertEquals("fused AdamW: parameter 0 (3) float32 has a gradient or moment (4) float32 unlike it", e.getMessage());
        }
    }
}
