package ai.aim4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.config.ConfigInference;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.Arena;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;

/** Loading checks a checkpoint strictly against the model tree's own declarations. */
class StateDictTest {
    static AimConfig small() throws Exception {
        return AimConfig.fromJson(new ObjectMapper().readTree("{\"img_size\":[16,16],\"patch_size\":[4,4],\"num_channels\":3,"
                + "\"embed_dim\":32,\"num_blocks\":2,\"num_heads\":2,\"probe_layers\":[0,1],\"num_classes\":5}"), "small");
    }

    static SequencedMap<String, HostTensor> initial(AimConfig c, boolean withHead, long seed) {
        return new LinkedHashMap<>(Initializer.materialize(new Aim(c, withHead), seed));
    }

    private static void load(AimConfig c, SequencedMap<String, HostTensor> t, String source, boolean allowUnexpected) {
        Aim.load(c, NamedTensors.inMemory(t), DataType.FLOAT32, source, allowUnexpected).close();
    }

    @Test
    void listsEveryMissingUnexpectedAndMisShapedKeyInOneError() throws Exception {
        AimConfig c = small();
        SequencedMap<String, HostTensor> t = initial(c, true, 1);
        t.remove("trunk.blocks.1.mlp.fc2.weight");
        t.put("trunk.blocks.0.attn.qkv.weight", HostTensor.ofFloats(new long[] {32, 32}, new float[32 * 32]));
        t.put("trunk.extra", HostTensor.ofFloats(new long[] {1}, new float[1]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(c, t, "w.pth", false));
        String m = e.getMessage();
        assertTrue(m.startsWith("w.pth"), m);
        assertTrue(m.contains("missing keys (1): trunk.blocks.1.mlp.fc2.weight"), m);
        assertTrue(m.contains("unexpected keys (1): trunk.extra"), m);
        assertTrue(m.contains("shape mismatch for trunk.blocks.0.attn.qkv.weight: checkpoint [32, 32], model [96, 32]"), m);
    }

    @Test
    void acceptsDerivedBuffersAndOptionallyExtraKeys() throws Exception {
        AimConfig c = small();
        SequencedMap<String, HostTensor> t = initial(c, true, 1);
        t.remove("head.bn.num_batches_tracked");
        t.put("trunk.blocks.0.attn.attn_mask", new HostTensor(DType.BOOL, new long[] {1, 16, 16}, Arena.ofAuto().allocate(256)));
        load(c, t, "prefix-causal.pth", false);
        t.put("head2.linear.weight", HostTensor.ofFloats(new long[] {1}, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> load(c, t, "x", false));
        load(c, t, "x", true);
        t.remove("head.k.weight");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(c, t, "x", true));
        assertTrue(e.getMessage().contains("missing keys (1): head.k.weight"), e.getMessage());
    }

    @Test
    void refusesIntegerWeights() throws Exception {
        AimConfig c = small();
        SequencedMap<String, HostTensor> t = initial(c, false, 1);
        t.put("trunk.post_trunk_norm.bias", HostTensor.ofLongs(new long[] {32}, new long[32]));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(c, t, "int.pth", false));
        assertTrue(e.getMessage().contains("trunk.post_trunk_norm.bias has integer type I64"), e.getMessage());
    }

    @Test
    void infersTheGeometryFromShapes() throws Exception {
        AimConfig c = small();
        AimConfig inferred = ConfigInference.infer(initial(c, true, 1), c);
        assertEquals(c.dim(), inferred.dim());
        assertEquals(c.blocks(), inferred.blocks());
        assertEquals(5, inferred.numClasses());
        assertArrayEquals(c.patchSize(), inferred.patchSize());
    }
}
