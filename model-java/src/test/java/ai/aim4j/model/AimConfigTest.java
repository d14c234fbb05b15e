package ai.aim4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.config.AimConfig;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class AimConfigTest {
    @Test
    void presetsHaveThePublishedGeometry() {
        AimConfig s = AimConfig.preset("aim-600M");
        assertEquals(1536, s.dim());
        assertEquals(24, s.blocks());
        assertEquals(12, s.heads());
        assertEquals(256, s.numPatches());
        assertArrayEquals(new int[] {14, 15, 16, 17, 18, 19}, s.probeLayers());
        AimConfig b = AimConfig.preset("aim-1B");
        assertEquals(2048, b.dim());
        assertEquals(16, b.heads());
        assertArrayEquals(new int[] {12, 13, 14, 15, 16, 17}, b.probeLayers());
        assertEquals(3072, AimConfig.preset("aim-3B").dim());
        AimConfig h = AimConfig.preset("aim-7B");
        assertEquals(4096, h.dim());
        assertEquals(32, h.blocks());
        assertArrayEquals(new int[] {14, 15, 16, 17, 18, 19}, h.probeLayers());
        assertArrayEquals(new int[] {26, 27, 28, 29, 30, 31}, h.resolveProbeLayers("last"));
        assertArrayEquals(new int[] {3, 5}, h.resolveProbeLayers("3, 5"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AimConfig.preset("aim-9B"));
        assertTrue(e.getMessage().contains("aim-600M"), e.getMessage());
    }

    @Test
    void jsonRoundTripsIncludingRectangularGeometry() throws Exception {
        String json = "{\"img_size\":[32,48],\"patch_size\":[8,16],\"num_channels\":5,\"embed_dim\":64,\"num_blocks\":3,"
                + "\"num_heads\":4,\"use_bias\":true,\"layer_norm_eps\":1e-5,\"probe_layers\":[1,2],\"num_classes\":7}";
        AimConfig c = AimConfig.fromJson(new ObjectMapper().readTree(json), "rect");
        assertEquals(4 * 3, c.numPatches());
        assertEquals(5 * 8 * 16, c.patchValues());
        assertEquals(1e-5, c.layerNormEps());
        assertTrue(c.useBias());
        assertEquals(c, AimConfig.fromJson(c.toJson(), "again"));
    }

    @Test
    void rejectsInconsistentGeometryWithTheReason() {
        var mapper = new ObjectMapper();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AimConfig.fromJson(
                mapper.readTree("{\"img_size\":30,\"patch_size\":4,\"embed_dim\":64,\"num_blocks\":2,\"num_heads\":4}"), "x"));
        assertTrue(e.getMessage().contains("not a multiple"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AimConfig.fromJson(
                mapper.readTree("{\"embed_dim\":64,\"num_blocks\":2,\"num_heads\":5}"), "x"));
        assertTrue(e.getMessage().contains("divisible"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> AimConfig.fromJson(
                mapper.readTree("{\"embed_dim\":64,\"num_blocks\":2,\"num_heads\":4,\"probe_layers\":[2]}"), "x"));
        assertTrue(e.getMessage().contains("outside"), e.getMessage());
    }
}
