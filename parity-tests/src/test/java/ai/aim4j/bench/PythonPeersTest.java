package ai.aim4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.run.Precision;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch and JAX peers, for real in the bridge's environment, on a tiny geometry: each mode's
 * code path once (torch.compile is left out: its first call compiles C++ for tens of seconds).
 */
class PythonPeersTest {
    private static final PretrainConfig TINY = new PretrainConfig(AimConfig.vit("tiny", 16, 4, 3, 32, 1, 2).withLayerNormEps(1e-5), 32, 1, 4, 1e-5);

    @Test
    void thePeersTimeTheTrainingStep() throws Exception {
        PythonPeers.Report r = PythonPeers.run(PythonEnvironment.locate(), "train", TINY.toJson(), 4, 1, 3, 1,
                List.of("torch-eager", "torch-autocast", "jax-jit"));
        expectTimed(r, List.of("torch eager", "torch autocast", "jax jit"), List.of(Precision.FP32, Precision.BF16, Precision.FP32));
        assertEquals(List.of(Precision.FP32, Precision.BF16), r.matmul().stream().map(SideBySide.Rate::precision).toList());
        r.matmul().forEach(rate -> assertTrue(rate.gflops() > 0 && rate.source().startsWith("torch 2."), rate.toString()));
    }

    @Test
    void thePeersTimeTheForwardPass() throws Exception {
        PythonPeers.Report r = PythonPeers.run(PythonEnvironment.locate(), "forward", TINY.trunk().toJson(), 2, 1, 3, 1,
                List.of("torch-sdpa", "jax-jit-bf16"));
        expectTimed(r, List.of("torch sdpa", "jax jit-bf16"), List.of(Precision.FP32, Precision.BF16));
    }

    @Test
    void unknownPeersAreOneErrorLine() {
        assertEquals(List.of(), PythonPeers.parseModes("none"));
        assertEquals(List.of("jax-jit"), PythonPeers.parseModes("jax-jit"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PythonPeers.parseModes("torch-eager,tf-xla"));
        assertEquals("--peers: unknown peer tf-xla; expected none or some of " + String.join(",", PythonPeers.MODES), e.getMessage());
    }

    private static void expectTimed(PythonPeers.Report r, List<String> names, List<Precision> precisions) {
        assertEquals(names, r.contenders().stream().map(Contender::name).toList());
        assertEquals(precisions, r.contenders().stream().map(Contender::precision).toList());
        for (Contender m : r.contenders()) {
            assertTrue(m.ran(), m.name() + ": " + m.unavailable());
            assertTrue(m.minS() > 0 && m.minS() <= m.medianS() && m.medianS() <= m.maxS() && m.firstS() > 0, m.toString());
        }
    }
}
