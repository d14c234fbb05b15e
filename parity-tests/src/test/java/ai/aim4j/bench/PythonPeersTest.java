package ai.aim4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.run.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PyTorch and JAX peers, for real in the bridge's environment, on a tiny geometry: each task
 * (training step, forward pass, probe head's step) and mode's code path once, taking turns
 * (torch.compile is left out: its first call compiles C++ for tens of seconds); and a peer process
 * that dies.
 */
class PythonPeersTest {
    private static final PretrainConfig TINY = new PretrainConfig(AimConfig.vit("tiny", 16, 4, 3, 32, 1, 2).withLayerNormEps(1e-5), 32, 1, 4, 1e-5);
    private static final Interleaved.Schedule QUICK = new Interleaved.Schedule(1, 0, 3, 30, 2);

    @Test
    void thePeersTimeTheTrainingStep() throws Exception {
        try (PythonPeers peers = PythonPeers.start(PythonEnvironment.locate(), "train", TINY.toJson(), 4, 1,
                List.of("torch-eager", "torch-autocast", "jax-jit"))) {
            expectTimed(Interleaved.measure(peers.contestants(), QUICK), List.of("torch eager", "torch autocast", "jax jit"),
                    List.of(Precision.FP32, Precision.BF16, Precision.FP32));
            assertEquals(List.of(Precision.FP32, Precision.BF16), peers.matmul().stream().map(SideBySide.Rate::precision).toList());
            peers.matmul().forEach(rate -> assertTrue(rate.gflops() > 0 && rate.source().startsWith("torch 2."), rate.toString()));
        }
    }

    @Test
    void thePeersTimeTheForwardPass() throws Exception {
        try (PythonPeers peers = PythonPeers.start(PythonEnvironment.locate(), "forward", TINY.trunk().toJson(), 2, 1,
                List.of("torch-sdpa", "jax-jit-bf16"))) {
            expectTimed(Interleaved.measure(peers.contestants(), QUICK), List.of("torch sdpa", "jax jit-bf16"), List.of(Precision.FP32, Precision.BF16));
            // A round whose seconds have passed ends once the least number of calls is timed, on the Python side too.
            for (Contestant c : peers.contestants()) {
                assertEquals(Timing.LEAST_TIMED_CALLS, c.time(50, 0).length, c.name());
            }
        }
    }

    @Test
    void thePeersTimeTheProbeHeadsStep() throws Exception {
        try (PythonPeers peers = PythonPeers.start(PythonEnvironment.locate(), "probe", TINY.trunk().withNumClasses(5).toJson(), 8, 1,
                List.of("torch-sdpa", "jax-jit"))) {
            expectTimed(Interleaved.measure(peers.contestants(), QUICK), List.of("torch sdpa", "jax jit"), List.of(Precision.FP32, Precision.FP32));
        }
    }

    @Test
    void aPeerProcessThatDiesMakesItsModesUnavailableWithItsLastWord(@TempDir Path dir) throws Exception {
        Path python = dir.resolve("python");
        Files.writeString(python, "#!/bin/sh\necho 'ModuleNotFoundError: No module named torch' >&2\nexit 3\n");
        Files.setPosixFilePermissions(python, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (PythonPeers peers = PythonPeers.start(PythonEnvironment.of(python), "forward", TINY.trunk().toJson(), 2, 1,
                List.of("torch-eager", "torch-sdpa"))) {
            List<Contender> rows = Interleaved.measure(peers.contestants(), QUICK);
            for (Contender c : rows) {
                assertEquals("torch process failed (exit 3): ModuleNotFoundError: No module named torch", c.unavailable(), c.name());
            }
            assertEquals(List.of(), peers.matmul());
        }
    }

    @Test
    void unknownPeersAreOneErrorLine() {
        assertEquals(List.of(), PythonPeers.parseModes("none"));
        assertEquals(List.of("jax-jit"), PythonPeers.parseModes("jax-jit"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PythonPeers.parseModes("torch-eager,tf-xla"));
        assertEquals("--peers: unknown peer tf-xla; expected none or some of " + String.join(",", PythonPeers.MODES), e.getMessage());
    }

    private static void expectTimed(List<Contender> rows, List<String> names, List<Precision> precisions) {
        assertEquals(names, rows.stream().map(Contender::name).toList());
        assertEquals(precisions, rows.stream().map(Contender::precision).toList());
        for (Contender m : rows) {
            assertTrue(m.ran(), m.name() + ": " + m.unavailable());
            assertTrue(m.minS() > 0 && m.minS() <= m.medianS() && m.medianS() <= m.maxS() && m.firstS() > 0, m.toString());
        }
    }
}
