package ai.aim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.aim4j.bench.CpuPeak;
import ai.aim4j.bench.PythonPeers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which peers the benchmarks run: all by default, the bf16 ones only on a CPU with bf16 units, any list as asked. */
class PeerOptionsTest {
    private static CpuPeak peak(CpuPeak.Bf16 bf16) {
        return new CpuPeak(2, 3.0, "given", CpuPeak.Vector.AVX2, 2, bf16);
    }

    @Test
    void theDefaultLeavesTheBf16PeersOutWithoutBf16UnitsAndSaysSo() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        PeerOptions options = new PeerOptions();
        assertEquals(List.of("torch-eager", "torch-sdpa", "torch-compile", "jax-jit"), options.modes(peak(CpuPeak.Bf16.NONE), out));
        assertEquals(List.of("torch-eager", "torch-sdpa", "torch-compile", "jax-jit"), options.modes(null, out));
        assertEquals(2, bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("peers bf16: not measured")).count());
        bytes.reset();
        assertEquals(PythonPeers.MODES, options.modes(peak(CpuPeak.Bf16.AMX), out));
        assertEquals(PythonPeers.MODES, options.modes(peak(CpuPeak.Bf16.AVX512_BF16), out));
        assertEquals("", bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void anAskedListIsTakenAsItIs() {
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        PeerOptions options = new PeerOptions();
        options.peers = "torch-autocast,jax-jit";
        assertEquals(List.of("torch-autocast", "jax-jit"), options.modes(peak(CpuPeak.Bf16.NONE), out));
        options.peers = "none";
        assertEquals(List.of(), options.modes(peak(CpuPeak.Bf16.NONE), out));
        options.peers = "torch-eager,tf";
        assertThrows(IllegalArgumentException.class, () -> options.modes(peak(CpuPeak.Bf16.AMX), out));
    }

    /** A bad flag is refused before the clock is measured or a line printed (the peak took seconds to measure first). */
    @Test
    void aBadFlagIsRefusedBeforeAnythingIsPrinted() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        PeerOptions peers = new PeerOptions();
        peers.peers = "torch-eager,tf";
        assertEquals("--peers: unknown peer tf; expected none or some of " + String.join(",", PythonPeers.MODES),
                assertThrows(IllegalArgumentException.class, () -> peers.setup(out)).getMessage());
        PeerOptions dtypes = new PeerOptions();
        dtypes.dtypes = List.of("fp32", "fp8");
        assertThrows(IllegalArgumentException.class, () -> dtypes.setup(out));
        assertEquals("", bytes.toString(StandardCharsets.UTF_8));
    }
}
