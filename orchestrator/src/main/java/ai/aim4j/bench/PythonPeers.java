package ai.aim4j.bench;

import ai.aim4j.files.FileTrees;
import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.run.Precision;
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
 * AIM ({@code aim4j.reference}) in the bridge's Python environment, one process per framework
 * ({@link PeerProcess}) kept running for the whole measurement, each requested mode a
 * {@link Contestant}. A mode that cannot run (say {@code torch.compile} without a C++ compiler) is
 * reported with its reason, and the others still run.
 */
public final class PythonPeers implements AutoCloseable {
    /** Every peer, as {@code framework-mode}: PyTorch eager, SDPA, torch.compile, bf16 autocast; JAX jit in fp32 and bf16. */
    public static final List<String> MODES = List.of("torch-eager", "torch-sdpa", "torch-compile", "torch-autocast", "jax-jit", "jax-jit-bf16");
    /** The line a bench prints when it runs aim4j alone for want of a Python environment. */
    public static final String NO_ENVIRONMENT = "peers: no Python environment, aim4j ran alone (./aim4j python setup adds PyTorch 2 and JAX side by side)";
    private static final Map<String, Precision> PRECISIONS = Map.of("torch-autocast", Precision.BF16, "jax-jit-bf16", Precision.BF16);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final List<PeerProcess> processes;
    private final List<Contestant> contestants;
    private final List<SideBySide.Rate> matmul;

    private PythonPeers(Path dir, List<PeerProcess> processes, List<Contestant> contestants, List<SideBySide.Rate> matmul) {
        this.dir = dir;
        this.processes = processes;
        this.contestants = contestants;
        this.matmul = matmul;
    }

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

    /** The precision a peer ({@code framework-mode}) computes in. */
    public static Precision precision(String mode) {
        return PRECISIONS.getOrDefault(mode, Precision.FP32);
    }

    /**
     * Starts the processes of {@code modes} on {@code task} ({@code train}: the pre-training step;
     * {@code forward}: the inference model with its probe head) of {@code config} at {@code batch},
     * with {@code threads} threads.
     */
    public static PythonPeers start(PythonEnvironment env, String task, ObjectNode config, int batch, int threads, List<String> modes)
            throws IOException {
        Map<String, List<String>> byFramework = new LinkedHashMap<>();
        for (String m : modes) {
            byFramework.computeIfAbsent(m.substring(0, m.indexOf('-')), k -> new ArrayList<>()).add(m.substring(m.indexOf('-') + 1));
        }
        Path dir = Files.createTempDirectory("aim4j-bench-peers");
        List<PeerProcess> processes = new ArrayList<>();
        List<Contestant> contestants = new ArrayList<>();
        List<SideBySide.Rate> matmul = new ArrayList<>();
        try {
            Path configFile = dir.resolve("config.json");
            JSON.writeValue(configFile.toFile(), config);
            for (var e : byFramework.entrySet()) {
                String framework = e.getKey();
                PeerProcess p = PeerProcess.start(env, framework, task, configFile, batch, threads, dir.resolve(framework + ".log"),
                        PeerProcess.ANSWER_DEADLINE);
                processes.add(p);
                for (String mode : e.getValue()) {
                    contestants.add(p.mode(framework + " " + mode, mode, precision(framework + "-" + mode)));
                }
                p.matmul().properties().forEach(rate -> matmul.add(new SideBySide.Rate(Precision.of(rate.getKey()),
                        rate.getValue().path("gflops").asDouble(), p.version() + " mm, " + rate.getValue().path("size").asInt() + "^3")));
            }
        } catch (IOException | RuntimeException e) {
            try {
                new PythonPeers(dir, processes, contestants, matmul).close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new PythonPeers(dir, processes, contestants, matmul);
    }

    /** Every requested mode, in the order asked. */
    public List<Contestant> contestants() {
        return contestants;
    }

    /** The matmul rates PyTorch measured as its process started. */
    public List<SideBySide.Rate> matmul() {
        return matmul;
    }

    /** Ends every process and removes their config and logs. */
    @Override
    public void close() throws IOException {
        try {
            for (PeerProcess p : processes) {
                p.close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            FileTrees.delete(dir);
        }
    }
}
