package ai.aim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.bench.PythonPeers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aim4j bench train} without a Python environment, the benchmarks in bf16, and their bad flags. */
class BenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void withoutAPythonEnvironmentAim4jRunsAloneAndOneLineSaysHowToGetThePeers() throws Exception {
        Path model = dir.resolve("model.json");
        Files.writeString(model, "{\"img_size\": 16, \"patch_size\": 4, \"embed_dim\": 32, \"num_blocks\": 1, \"num_heads\": 2,"
                + " \"decoder\": {\"embed_dim\": 32, \"num_layers\": 1}}");
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.aim4j("1g", List.of("bench", "train", "--model", model.toString(), "--batch", "2",
                "--steps", "1", "--warmup", "1"))).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("AIM4J_PYTHON");
        pb.environment().put("AIM4J_VENV", dir.resolve("no-venv").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertEquals(1, out.lines().filter(l -> l.contains("python setup")).count(), out);
        assertTrue(out.lines().anyMatch(PythonPeers.NO_ENVIRONMENT::equals), out);
        assertTrue(out.lines().anyMatch(l -> l.matches(" +fp32 +aim4j +[0-9.]+ .*")), out);
        assertTrue(out.lines().noneMatch(l -> l.contains("torch eager") || l.contains("jax jit")), out);
    }

    /**
     * {@code --profile} writes libtorch's trace of aim4j's training steps and of its forward passes
     * and prints where their time went: the MLP's first product (width 32 to hidden 128, on as many
     * rows as the work feeds it) among the product shapes.
     */
    @Test
    void theTimingBenchmarksProfileAim4jsWork() throws Exception {
        Path model = dir.resolve("model.json");
        Files.writeString(model, "{\"name\": \"tiny\", \"img_size\": 16, \"patch_size\": 4, \"embed_dim\": 32, \"num_blocks\": 1, \"num_heads\": 2,"
                + " \"decoder\": {\"embed_dim\": 32, \"num_layers\": 1}}");
        Path trunk = dir.resolve("trunk.json");
        Files.writeString(trunk, "{\"name\": \"tiny\", \"img_size\": 16, \"patch_size\": 4, \"embed_dim\": 32, \"num_blocks\": 1, \"num_heads\": 2}");
        Path profile = dir.resolve("profile");
        assertProfiled(profile.resolve("tiny-32-fp32.json"), "bench", "train", "--model", model.toString(), "--batch", "2", "--steps", "2",
                "--warmup", "1", "--peers", "none", "--profile", profile.toString());
        assertProfiled(profile.resolve("tiny-batch2-fp32.json"), "bench", "forward", "--config", trunk.toString(), "--batch", "2", "--iters", "2",
                "--warmup", "1", "--peers", "none", "--profile", profile.toString());
        CliRun notAFolder = CliRun.of("bench", "train", "--peers", "none", "--profile", model.toString());
        assertEquals(1, notAFolder.code());
        assertEquals("aim4j: error: --profile " + model + ": not a folder", notAFolder.err().strip());
        CliRun unmakeable = CliRun.of("bench", "forward", "--config", trunk.toString(), "--peers", "none", "--profile",
                model.resolve("profile").toString());
        assertEquals(1, unmakeable.code());
        assertTrue(unmakeable.err().strip().startsWith("aim4j: error: --profile " + model.resolve("profile") + ": cannot make the folder: "),
                unmakeable.err());
        assertEquals("", unmakeable.out(), "refused before the benchmark ran");
    }

    private static void assertProfiled(Path trace, String... args) throws Exception {
        CliRun run = CliRun.of(args);
        assertEquals(0, run.code(), run.err());
        assertTrue(Files.size(trace) > 0, run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.matches(" +aten::mm \\[\\[[0-9]+,32],\\[32,128]] +[0-9.]+ ms +[0-9.]+ calls +[0-9]+ GFLOP/s")),
                run.out());
    }

    /** Each benchmark times aim4j in bf16 next to fp32 when asked (bf16 logits once stopped the forward benchmark). */
    @Test
    void theForwardAndProbeBenchmarksRunInBf16() throws Exception {
        Path model = dir.resolve("small.json");
        Files.writeString(model, "{\"img_size\": 16, \"patch_size\": 4, \"embed_dim\": 32, \"num_blocks\": 1, \"num_heads\": 2}");
        CliRun forward = CliRun.of("bench", "forward", "--config", model.toString(), "--dtype", "fp32,bf16", "--peers", "none", "--batch", "2",
                "--iters", "2", "--warmup", "1");
        assertEquals(0, forward.code(), forward.err());
        assertTrue(forward.out().lines().anyMatch(l -> l.matches(" +bf16 +aim4j +[0-9.]+ .*")), forward.out());
        CliRun probe = CliRun.of("bench", "probe", "--model", model.toString(), "--dtype", "fp32,bf16", "--peers", "none", "--images", "256",
                "--steps", "2", "--warmup", "1");
        assertEquals(0, probe.code(), probe.err());
        assertTrue(probe.out().lines().anyMatch(l -> l.matches(" +bf16 +aim4j +[0-9.]+ .*")), probe.out());
    }

    /**
     * The all-reduce benchmark end to end on two ranks under mpirun, its C peer failing to compile (an
     * mpicc that prints two lines and fails): aim4j's sweep and training steps are still printed, the
     * peer's absence said in one line with the compiler's first line.
     */
    @Test
    void allReduceKeepsItsOwnFiguresWhenTheCPeerFails() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path mpicc = bin.resolve("mpicc");
        Files.writeString(mpicc, "#!/bin/sh\necho 'allreduce.c:1:10: fatal error: mpi.h: No such file or directory'\necho 'compilation terminated.'\nexit 1\n");
        assertTrue(mpicc.toFile().setExecutable(true));
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.aim4j("1g", List.of("bench", "allreduce", "--nproc", "2", "--steps", "1")))
                .redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("(not run: mpicc failed: allreduce.c:1:10: fatal error: mpi.h: No such file or directory)"), out);
        assertTrue(!out.contains("compilation terminated"), out);
        assertEquals(3, out.lines().filter(l -> l.matches(" +(width|vit224).* per rank: step [0-9.]+ s, all-reduce .*")).count(), out);
    }

    @Test
    void badPeerFlagsAreOneErrorLine() {
        CliRun python = CliRun.of("bench", "train", "--python", dir.resolve("nope").toString());
        assertEquals(1, python.code());
        assertEquals("aim4j: error: " + dir.resolve("nope") + ": not an executable Python interpreter", python.err().strip());
        CliRun units = CliRun.of("bench", "train", "--peers", "none", "--fma-units", "0");
        assertEquals(1, units.code());
        assertEquals("aim4j: error: --fma-units must be at least 1, got 0", units.err().strip());
        CliRun peers = CliRun.of("bench", "train", "--peers", "torch-eager,tf");
        assertEquals(1, peers.code());
        assertTrue(peers.err().strip().startsWith("aim4j: error: --peers: unknown peer tf;"), peers.err());
    }
}
