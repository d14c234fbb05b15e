package ai.aim4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.AimWeights.Parts;
import ai.aim4j.model.tensor.HostTensor;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;

class AimWeightsTest {
    static AimConfig small() throws Exception {
        return AimConfig.fromJson(new ObjectMapper().readTree("{\"img_size\":[16,16],\"patch_size\":[4,4],\"num_channels\":3,"
                + "\"embed_dim\":32,\"num_blocks\":2,\"num_heads\":2,\"probe_layers\":[0,1],\"num_classes\":5}"), "small");
    }

    @Test
    void listsEveryMissingUnexpectedAndMisShapedKeyInOneError() throws Exception {
        AimConfig c = small();
        SequencedMap<String, HostTensor> t = new LinkedHashMap<>(Initializer.materialize(c, Parts.TRUNK_AND_HEAD, 1));
        t.remove("trunk.blocks.1.mlp.fc2.weight");
        t.put("trunk.blocks.0.attn.qkv.weight", HostTensor.ofFloats(new long[] {32, 32}, new float[32 * 32]));
        t.put("trunk.extra", HostTensor.ofFloats(new long[] {1}, new float[1]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AimWeights.check(c, Parts.TRUNK_AND_HEAD, t, "w.pth", false));
        String m = e.getMessage();
        assertTrue(m.startsWith("w.pth"), m);
        assertTrue(m.contains("missing keys (1): trunk.blocks.1.mlp.fc2.weight"), m);
        assertTrue(m.contains("unexpected keys (1): trunk.extra"), m);
        assertTrue(m.contains("shape mismatch for trunk.blocks.0.attn.qkv.weight: checkpoint [32, 32], model [96, 32]"), m);
    }

    @Test
    void acceptsDerivedBuffersAndOptionallyExtraKeys() throws Exception {
        AimConfig c = small();
        SequencedMap<String, HostTensor> t = new LinkedHashMap<>(Initializer.materialize(c, Parts.TRUNK_AND_HEAD, 1));
        t.remove(AimWeights.BN_TRACKED);
        t.put("trunk.blocks.0.attn.attn_mask", new HostTensor(ai.aim4j.model.tensor.DType.BOOL, new long[] {1, 16, 16},
                java.lang.foreign.Arena.ofAuto().allocate(256)));
        AimWeights.check(c, Parts.TRUNK_AND_HEAD, t, "prefix-causal.pth", false);
        t.put("head2.linear.weight", HostTensor.ofFloats(new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> AimWeights.check(c, Parts.TRUNK_AND_HEAD, t, "x", false));
        AimWeights.check(c, Parts.TRUNK_AND_HEAD, t, "x", true);
        t.remove("head.k.weight");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AimWeights.check(c, Parts.TRUNK_AND_HEAD, t, "x", true));
        assertTrue(e.getMessage().contains("missing keys (1): head.k.weight"), e.getMessage());
    }

    @Test
    void infersTheGeometryFromShapes() throws Exception {
        AimConfig c = small();
        AimConfig inferred = AimWeights.inferConfig(Initializer.materialize(c, Parts.TRUNK_AND_HEAD, 1), c);
        assertEquals(c.dim(), inferred.dim());
        assertEquals(c.blocks(), inferred.blocks());
        assertEquals(5, inferred.numClasses());
        assertArrayEquals(c.patchSize(), inferred.patchSize());
    }
}
