package ai.aim4j.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.interop.worker.PythonEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * aim4j's own JAX/Flax and PyTorch models ({@code aim4j.reference}) against the official outputs of
 * every shipped fixture, in float32 and float64, through {@code python -m aim4j.reference.check}:
 * forward outputs from every weights format (also a Flax file in the layout ml-aim's own converter
 * writes, BatchNorm statistics left in {@code params}), and the pre-training attention mask, forward,
 * loss, gradients, norm, clip coefficient and one AdamW step with and without clipping. The Python check applies the
 * numbers of {@link Tolerance}; it exits 0 only when every comparison passes.
 */
class ReferenceModelsTest {
    private static final List<String> CASES = List.of("tiny-gray", "small-rgb", "pretrain-small");
    /**
     * Comparisons per case. Forward: 5 weights files (the 4 shipped formats and the Flax file rewritten in
     * ml-aim's converter layout) x 3 (each output against its float32 and float64 references in float32,
     * its float64 reference in float64) x the outputs (tiny-gray 8 + 3 prefix-causal, small-rgb 10 + 5).
     * Pre-training: the attention mask, then per precision the 5 outputs, the target mask, the 54
     * gradients and the norm (float32 also the clip coefficient and the trunk of the inference model on
     * the same checkpoint), and 2 x 54 stepped parameters: 233.
     * A check that silently skipped a tensor would fall short.
     */
    private static final Map<String, Integer> COMPARISONS = Map.of("tiny-gray", 5 * 3 * 11, "small-rgb", 5 * 3 * 15, "pretrain-small", 233);
    private static final long TIMEOUT_MINUTES = 5;

    /** Both backends run side by side (each is mostly single-threaded compilation and small kernels). */
    private static final Map<String, Process> RUNS = new HashMap<>();

    @TempDir
    static Path logs;

    @BeforeAll
    static void startBothBackends() throws IOException {
        for (String backend : List.of("jax", "torch")) {
            RUNS.put(backend, check(backend, CASES.stream().map(c -> Fixtures.shipped(c).toString()).toList(), logs.resolve(backend + ".log")));
        }
    }

    @AfterAll
    static void stopLeftovers() {
        RUNS.values().forEach(Process::destroyForcibly);
    }

    @ParameterizedTest
    @ValueSource(strings = {"jax", "torch"})
    void everyShippedFixtureMatchesInBothPrecisions(String backend) throws Exception {
        Process p = RUNS.get(backend);
        String log = finish(p, logs.resolve(backend + ".log"));
        String failures = log.lines().filter(l -> l.endsWith("FAIL") || l.startsWith("aim4j.reference.check: error")).collect(Collectors.joining("\n"));
        assertEquals(0, p.exitValue(), () -> backend + " reference check failed:\n" + failures + "\n" + tail(log));
        for (String c : CASES) {
            int n = COMPARISONS.get(c);
            String summary = c + " [" + backend + "]: ALL PASS: " + n + " of " + n + " comparisons within tolerance";
            assertTrue(log.lines().anyMatch(summary::equals), () -> "no line '" + summary + "' in:\n" + tail(log));
        }
    }

    @Test
    void aCorruptWeightsFileIsOneErrorLineNamingIt(@TempDir Path dir) throws Exception {
        Path src = Fixtures.shipped("tiny-gray");
        for (String f : List.of("config.json", "inputs.npz", "outputs.npz")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        byte[] weights = Files.readAllBytes(src.resolve("weights.safetensors"));
        Files.write(dir.resolve("weights.safetensors"), Arrays.copyOf(weights, weights.length / 2));
        Path log = dir.resolve("check.log");
        Process p = check("torch", List.of(dir.toString()), log);
        String out = finish(p, log);
        assertEquals(1, p.exitValue(), out);
        List<String> lines = out.lines().toList();
        assertEquals(1, lines.size(), out);
        assertTrue(lines.getFirst().startsWith("aim4j.reference.check: error: ") && lines.getFirst().contains("weights.safetensors"), out);
        assertFalse(out.contains("Traceback"), out);
    }

    private static Process check(String backend, List<String> folders, Path log) throws IOException {
        List<String> args = new ArrayList<>(List.of("-m", "aim4j.reference.check", "--backend", backend));
        args.addAll(folders);
        return PythonEnvironment.locate().process(args)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static String finish(Process p, Path log) throws Exception {
        if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("reference check still running after " + TIMEOUT_MINUTES + " min:\n" + tail(Files.readString(log)));
        }
        return Files.readString(log);
    }

    private static String tail(String log) {
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}
