package ai.aim4j.bench;

import ai.aim4j.files.FileTrees;
import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.run.Precision;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The PyTorch and JAX peers of {@code bench train} and {@code bench forward}: aim4j's reference
 * AIM ({@code aim4j.reference}) in the bridge's Python environment, timed by
 * {@code python -m aim4j.bench_peers} in one process per framework, one mode after the other.
 * A mode that cannot run (say {@code torch.compile} without a C++ compiler) is reported with its
 * reason, and the others still run.
 */
public final class PythonPeers {
    /** Every peer, as {@code framework-mode}: PyTorch eager, SDPA, torch.compile, bf16 autocast; JAX jit in fp32 and bf16. */
    public static final List<String> MODES = List.of("torch-eager", "torch-sdpa", "torch-compile", "torch-autocast", "jax-jit", "jax-jit-bf16");
    /** The line a bench prints when it runs aim4j alone for want of a Python environment. */
    public static final String NO_ENVIRONMENT = "peers: no Python environment, aim4j ran alone (./aim4j python setup adds PyTorch 2 and JAX side by side)";
    private static final Map<String, Precision> PRECISIONS = Map.of("torch-autocast", Precision.BF16, "jax-jit-bf16", Precision.BF16);
    private static final ObjectMapper JSON = new ObjectMapper();

    private PythonPeers() {}

    /** What the peers measured: every requested mode, and the matmul rates PyTorch measured. */
    public record Report(List<Contender> contenders, List<SideBySide.Rate> matmul) {}

    /** {@code none}, or a comma-separated list of {@link #MODES}; an error line naming an unknown one. */
    public static List<String> parseModes(String list) {
        if (list.equals("none")) {
            return List.of();
        }
        List<String> modes = List.of(list.split(","));
        for (String m : modes) {
            if (!MODES.contains(m)) {
                throw new IllegalArgumentException("--peers: unknown peer " + m + "; expected none or some of " + String.join(",", MODES));
            }
        }
        return modes;
    }

    /**
     * Times {@code modes} on {@code task} ({@code train}: the pre-training step; {@code forward}: the
     * inference model with its probe head) of {@code config} at {@code batch}, with {@code threads}
     * threads, warmed up as aim4j is ({@code warmup} calls and {@link Timing#WARMUP_SECONDS}).
     */
    public static Report run(PythonEnvironment env, String task, ObjectNode config, int batch, int warmup, int steps, int threads,
                             List<String> modes) throws IOException, InterruptedException {
        Map<String, List<String>> byFramework = new LinkedHashMap<>();
        for (String m : modes) {
            byFramework.computeIfAbsent(m.substring(0, m.indexOf('-')), k -> new ArrayList<>()).add(m.substring(m.indexOf('-') + 1));
        }
        List<Contender> contenders = new ArrayList<>();
        List<SideBySide.Rate> matmul = new ArrayList<>();
        Path tmp = Files.createTempDirectory("aim4j-bench-peers");
        try {
            Path configFile = tmp.resolve("config.json");
            JSON.writeValue(configFile.toFile(), config);
            for (var e : byFramework.entrySet()) {
                String framework = e.getKey();
                List<String> args = List.of("-m", "aim4j.bench_peers", task, "--framework", framework, "--modes", String.join(",", e.getValue()),
                        "--config", configFile.toString(), "--batch", Integer.toString(batch), "--warmup", Integer.toString(warmup),
                        "--warmup-s", Double.toString(Timing.WARMUP_SECONDS), "--steps", Integer.toString(steps), "--threads", Integer.toString(threads));
                Path log = tmp.resolve(framework + ".log");
                Process p = env.process(args).redirectError(log.toFile()).start();
                p.getOutputStream().close();
                String out = new String(p.getInputStream().readAllBytes());
                int code = p.waitFor();
                if (code != 0) {
                    List<String> lines = Files.readAllLines(log);
                    String why = framework + " process failed (exit " + code + ")" + (lines.isEmpty() ? "" : ": " + lines.getLast());
                    e.getValue().forEach(m -> contenders.add(Contender.unavailable(name(framework, m), precision(framework, m), why)));
                    continue;
                }
                JsonNode r = JSON.readTree(out);
                String version = framework + " " + r.path("version").asText();
                for (JsonNode m : r.path("modes")) {
                    String name = name(framework, m.path("mode").asText());
                    Precision precision = Precision.of(m.path("precision").asText());
                    contenders.add(m.has("error") ? Contender.unavailable(name, precision, m.get("error").asText())
                            : Contender.timed(name, precision, m.get("median_s").asDouble(), m.get("min_s").asDouble(), m.get("max_s").asDouble(),
                            m.get("first_s").asDouble()));
                }
                r.path("matmul_gflops").properties().forEach(rate -> matmul.add(
                        new SideBySide.Rate(Precision.of(rate.getKey()), rate.getValue().asDouble(), version + " mm, 2048^3")));
            }
            return new Report(contenders, matmul);
        } finally {
            FileTrees.delete(tmp);
        }
    }

    private static String name(String framework, String mode) {
        return framework + " " + mode;
    }

    private static Precision precision(String framework, String mode) {
        return PRECISIONS.getOrDefault(framework + "-" + mode, Precision.FP32);
    }
}
