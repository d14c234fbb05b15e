package ai.aim4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.tensor.HostTensor;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The official initialization, checked by its statistics (bounds, moments) and its determinism. */
class InitializerTest {
    @Test
    void followsTheOfficialRules() throws Exception {
        AimConfig c = StateDictTest.small();
        Aim tree = new Aim(c, true);
        Map<String, HostTensor> t = Initializer.materialize(tree, 7);
        assertEquals(tree.namedParameters().entrySet().stream().filter(e -> e.getValue().persistent()).map(Map.Entry::getKey).toList(),
                t.keySet().stream().toList(), "one tensor per persistent declaration, in declaration order");
        // xavier-uniform on (out, in): U(-a, a), a = sqrt(6 / (in + out)); variance a^2 / 3.
        double[] fc1 = t.get("trunk.blocks.0.mlp.fc1.weight").toDoubles();
        double a = Math.sqrt(6.0 / (32 + 128));
        assertTrue(Arrays.stream(fc1).allMatch(v -> Math.abs(v) <= a));
        double var = Arrays.stream(fc1).map(v -> v * v).average().orElseThrow();
        assertEquals(a * a / 3, var, 0.1 * a * a / 3); // 4096 draws: the variance estimate is within ~3% (1 sigma)
        // The patch conv uses its flattened (D, C*ph*pw) fan.
        double convBound = Math.sqrt(6.0 / (3 * 4 * 4 + 32));
        double[] conv = t.get("preprocessor.patchifier.proj.weight").toDoubles();
        assertTrue(Arrays.stream(conv).allMatch(v -> Math.abs(v) <= convBound));
        assertTrue(Arrays.stream(conv).anyMatch(v -> Math.abs(v) > 0.9 * convBound));
        assertTrue(Arrays.stream(t.get("trunk.blocks.1.norm_2.weight").toDoubles()).allMatch(v -> v == 1.0));
        assertTrue(Arrays.stream(t.get("trunk.blocks.1.norm_2.bias").toDoubles()).allMatch(v -> v == 0.0));
        assertTrue(Arrays.stream(t.get("preprocessor.patchifier.proj.bias").toDoubles()).allMatch(v -> v == 0.0));
        assertTrue(Arrays.stream(t.get("head.bn.running_var").toDoubles()).allMatch(v -> v == 1.0));
        double[] q = t.get("head.cls_token").toDoubles();
        double sd = Math.sqrt(Arrays.stream(q).map(v -> v * v).average().orElseThrow());
        assertEquals(0.02, sd, 0.008); // 32 draws: the sd estimate is within ~13% (1 sigma)
    }

    @Test
    void isDeterministicPerSeedAndTensor() throws Exception {
        AimConfig c = StateDictTest.small();
        double[] a = Initializer.materialize(new Aim(c, true), 3).get("head.k.weight").toDoubles();
        double[] b = Initializer.materialize(new Aim(c, false), 3).get("trunk.blocks.0.attn.qkv.weight").toDoubles();
        double[] a2 = Initializer.materialize(new Aim(c, true), 3).get("head.k.weight").toDoubles();
        double[] b2 = Initializer.materialize(new Aim(c, true), 3).get("trunk.blocks.0.attn.qkv.weight").toDoubles();
        double[] other = Initializer.materialize(new Aim(c, true), 4).get("head.k.weight").toDoubles();
        assertTrue(Arrays.equals(a, a2));
        assertTrue(Arrays.equals(b, b2), "a tensor's values must not depend on which parts are generated");
        assertFalse(Arrays.equals(a, other));
    }
}
