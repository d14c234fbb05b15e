package ai.aim4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.cli.ChildJvm;
import ai.aim4j.arrow.source.Synthetic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pre-training run killed with SIGKILL twice, at different steps, and resumed each time ends with
 * the same parameters, optimizer state and loss curve, bit for bit, as the run never interrupted.
 */
class KillAndResumeTest {
    private static final int STEPS = 40;

    @TempDir
    Path dir;

    private List<String> command(Path out, boolean resume) {
        List<String> cmd = new ArrayList<>(List.of("pretrain", "--data", dir.resolve("data").toString(), "--model", dir.resolve("model.json").toString(), "--out", out.toString(),
                "--steps", Integer.toString(STEPS), "--batch-size", "32", "--grad-accum", "2", "--checkpoint-every", "4",
                "--keep-checkpoints", "2", "--seed", "5", "--loader-threads", "2"));
        if (resume) {
            cmd.addAll(List.of("--resume", "auto"));
        }
        return ChildJvm.aim4j("2g", cmd);
    }

    private Process start(Path out, boolean resume, String log) throws IOException {
        return new ProcessBuilder(command(out, resume)).redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile()).start();
    }

    private static long lastStep(Path metrics) throws IOException {
        if (!Files.exists(metrics)) {
            return 0;
        }
        List<String> lines = Files.readAllLines(metrics);
        for (int i = lines.size() - 1; i >= 0; i--) {
            var m = Pattern.compile("\"step\":(\\d+)").matcher(lines.get(i));
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        return 0;
    }

    /** Starts (or resumes) the run and SIGKILLs it once its metrics reach {@code killAt}. */
    private void runAndKill(Path out, boolean resume, long killAt, String log) throws Exception {
        Process p = start(out, resume, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (lastStep(out.resolve("metrics.jsonl")) < killAt) {
            assertTrue(p.isAlive(), "the run ended before step " + killAt + ": " + Files.readString(dir.resolve(log)));
            assertTrue(System.nanoTime() < deadline, "timed out waiting for step " + killAt);
            Thread.sleep(5);
        }
        p.destroyForcibly(); // SIGKILL: no shutdown hooks, no flushing
        p.waitFor();
        assertTrue(lastStep(out.resolve("metrics.jsonl")) < STEPS, "killed too late");
    }

    private void runToEnd(Path out, boolean resume, String log) throws Exception {
        Process p = start(out, resume, log);
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "run did not finish");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve(log)));
    }

    @Test
    void killedTwiceAndResumedEqualsUninterrupted() throws Exception {
        DatasetWriter.write(new Synthetic(600, 16, 1, "train"), dir.resolve("data"), 2, null,
                Map.of(), n -> { });
        Files.writeString(dir.resolve("model.json"), "{\"img_size\": 16, \"patch_size\": 4, \"num_channels\": 3, \"embed_dim\": 64,"
                + " \"num_blocks\": 2, \"num_heads\": 2, \"decoder\": {\"embed_dim\": 64, \"num_layers\": 1}}");
        Path straight = dir.resolve("straight");
        runToEnd(straight, false, "straight.log");

        Path killed = dir.resolve("killed");
        runAndKill(killed, false, 9, "first.log");
        runAndKill(killed, true, 27, "second.log");
        runToEnd(killed, true, "third.log");
        assertTrue(Files.readString(dir.resolve("second.log")).contains("resuming from"), Files.readString(dir.resolve("second.log")));

        Path a = straight.resolve("checkpoints/step-00000040");
        Path b = killed.resolve("checkpoints/step-00000040");
        for (String f : new String[] {"model.safetensors", "optimizer.safetensors", "state.json"}) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f + " differs after kill and resume");
        }
        List<String> la = Files.readAllLines(straight.resolve("metrics.jsonl"));
        List<String> lb = Files.readAllLines(killed.resolve("metrics.jsonl"));
        assertEquals(STEPS, lb.size(), "one metrics line per step, none repeated or lost");
        for (int i = 0; i < STEPS; i++) {
            assertEquals(field(la.get(i), "loss"), field(lb.get(i), "loss"), "loss of step " + (i + 1));
        }
    }

    private static String field(String json, String name) {
        var m = Pattern.compile("\"" + name + "\":([^,}]+)").matcher(json);
        assertTrue(m.find(), json);
        return m.group(1);
    }
}
