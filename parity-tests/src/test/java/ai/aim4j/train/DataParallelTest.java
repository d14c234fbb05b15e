package ai.aim4j.train;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.cli.ChildJvm;
import ai.aim4j.arrow.source.Synthetic;
import ai.aim4j.dist.MpiRun;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.weights.SafeTensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data-parallel pre-training on Open MPI, on this machine's loopback: a job of two ranks (started by
 * {@code aim4j launch}) and one of three (started by plain {@code mpirun}) against one process with
 * the same global batch of 24 images; a rank killed mid-run; a two-rank run resumed on one process.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DataParallelTest {
    private static final int STEPS = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private Path one;
    private Path two;

    private List<String> args(Path out, int accum) {
        return new ArrayList<>(List.of("pretrain", "--data", dir.resolve("data").toString(), "--val-data", dir.resolve("val").toString(),
                "--val-every", "8", "--val-samples", "50", "--model", dir.resolve("model.json").toString(), "--out", out.toString(),
                "--steps", Integer.toString(STEPS), "--batch-size", "24", "--grad-accum", Integer.toString(accum), "--checkpoint-every", "4",
                "--seed", "5", "--loader-threads", "1", "--param-check-every", "3"));
    }

    /** {@code aim4j launch --nproc N} with the run's arguments. */
    private List<String> launch(int ranks, List<String> run) {
        List<String> cmd = new ArrayList<>(List.of("launch", "--nproc", Integer.toString(ranks), "--threads-per-rank", "1"));
        cmd.addAll(run);
        return ChildJvm.aim4j("1g", cmd);
    }

    private String runToEnd(List<String> cmd, String log) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "run did not finish: " + log);
        String out = Files.readString(dir.resolve(log));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @BeforeAll
    void oneProcessAndTwoRanks() throws Exception {
        DatasetWriter.write(new Synthetic(600, 16, 1, "train"), dir.resolve("data"), 2, null, Map.of(), n -> { });
        DatasetWriter.write(new Synthetic(100, 16, 3, "train"), dir.resolve("val"), 1, null, Map.of(), n -> { });
        Files.writeString(dir.resolve("model.json"), "{\"img_size\": 16, \"patch_size\": 4, \"num_channels\": 3, \"embed_dim\": 64,"
                + " \"num_blocks\": 2, \"num_heads\": 2, \"decoder\": {\"embed_dim\": 64, \"num_layers\": 1}}");
        one = dir.resolve("one");
        runToEnd(ChildJvm.aim4j("1g", args(one, 2)), "one.log");
        two = dir.resolve("two");
        runToEnd(launch(2, args(two, 2)), "two.log");
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            lines.add(JSON.readTree(l));
        }
        return lines;
    }

    /**
     * Every step's loss within 1e-5 relative of the one-process run's: the ranks see the same 24
     * images and sum the same terms, in another order (float32 sums per rank, then over ranks).
     */
    private static void sameLosses(Path expected, Path actual, int world, long fromStep) throws IOException {
        List<JsonNode> a = metrics(expected);
        List<JsonNode> b = metrics(actual);
        assertEquals(STEPS - fromStep, b.size(), "one metrics line per step");
        for (JsonNode line : b) {
            JsonNode ref = a.get(line.get("step").asInt() - 1);
            for (String key : new String[] {"loss", "val_loss"}) {
                if (ref.has(key)) {
                    double x = ref.get(key).asDouble();
                    double y = line.get(key).asDouble();
                    assertTrue(Math.abs(x - y) <= 1e-5 * Math.abs(x), key + " of step " + line.get("step") + ": " + x + " vs " + y);
                }
            }
            assertEquals(world, line.get("world").asInt());
        }
    }

    /**
     * Final parameters within 1e-6 of each other: summation-order differences of about one float32
     * ulp in the gradients pass through 16 AdamW steps of learning rate at most 1e-3 (measured: 6e-8).
     */
    private static void closeParameters(Path expected, Path actual) throws IOException {
        try (NamedTensors a = SafeTensors.read(expected.resolve("checkpoints/step-00000016/model.safetensors"));
             NamedTensors b = SafeTensors.read(actual.resolve("checkpoints/step-00000016/model.safetensors"))) {
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            double worst = 0;
            for (var e : a.tensors().entrySet()) {
                double[] x = e.getValue().toDoubles();
                double[] y = b.get(e.getKey()).toDoubles();
                for (int i = 0; i < x.length; i++) {
                    worst = Math.max(worst, Math.abs(x[i] - y[i]));
                }
            }
            assertTrue(worst <= 1e-6, "parameters differ by up to " + worst);
        }
    }

    @Test
    void launchedTwoRanksTrainAsOneProcess() throws IOException {
        sameLosses(one, two, 2, 0);
        closeParameters(one, two);
        JsonNode line = metrics(two).getFirst();
        // Every trainable parameter's gradient (one AdamW first moment each) is summed once per step: 4 bytes per parameter.
        long params = 0;
        try (NamedTensors m = SafeTensors.read(two.resolve("checkpoints/step-00000016/optimizer.safetensors"))) {
            for (var e : m.tensors().entrySet()) {
                params += e.getKey().endsWith(".exp_avg") ? e.getValue().numel() : 0;
            }
        }
        assertEquals(4 * params, line.get("allreduce_bytes").asLong());
        assertTrue(line.get("allreduce_s").asDouble() > 0);
        assertEquals(0, metrics(one).getFirst().get("allreduce_bytes").asLong());
    }

    @Test
    void threeRanksUnderPlainMpirunTrainAsOneProcess() throws Exception {
        Path three = dir.resolve("three");
        List<String> rank = ChildJvm.aim4j("1g", args(three, 1));
        runToEnd(MpiRun.command(3, List.of(), 1, rank), "three.log");
        sameLosses(one, three, 3, 0);
        closeParameters(one, three);
    }

    @Test
    void twoRanksAreBitwiseReproducible() throws Exception {
        Path again = dir.resolve("two-again");
        runToEnd(launch(2, args(again, 2)), "two-again.log");
        sameCheckpoint(two, again);
    }

    private static void sameCheckpoint(Path a, Path b) throws IOException {
        for (String f : new String[] {"model.safetensors", "optimizer.safetensors", "state.json"}) {
            assertArrayEquals(Files.readAllBytes(a.resolve("checkpoints/step-00000016").resolve(f)),
                    Files.readAllBytes(b.resolve("checkpoints/step-00000016").resolve(f)), f + " differs");
        }
    }

    @Test
    void aKilledRankEndsTheJobAndResumeFinishesIt() throws Exception {
        Path killed = dir.resolve("killed");
        Process job = new ProcessBuilder(launch(2, args(killed, 2))).redirectErrorStream(true)
                .redirectOutput(dir.resolve("killed.log").toFile()).start();
        ProcessHandle victim = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (victim == null || !Files.exists(killed.resolve("checkpoints/step-00000004"))) {
            assertTrue(job.isAlive() && System.nanoTime() < deadline, "the job ended before its first checkpoint: "
                    + Files.readString(dir.resolve("killed.log")));
            victim = job.descendants().filter(p -> rankOf(p) == 1).findFirst().orElse(null);
            Thread.sleep(5);
        }
        long killedAt = System.nanoTime();
        victim.destroyForcibly(); // SIGKILL
        assertTrue(job.waitFor(30, TimeUnit.SECONDS), "the job outlived its killed rank by 30 s");
        double seconds = (System.nanoTime() - killedAt) / 1e9;
        assertNotEquals(0, job.exitValue());
        assertTrue(metrics(killed).size() < STEPS, "killed too late to test anything");
        CheckpointStore.Checkpoint last = new CheckpointStore(killed, 3).newestValid(line -> { });
        assertNotNull(last, "no intact checkpoint left");
        System.out.printf("killed rank 1 at step %d; the job ended %.1f s later%n", metrics(killed).size(), seconds);

        List<String> resume = args(killed, 2);
        resume.addAll(List.of("--resume", "auto"));
        String log = runToEnd(launch(2, resume), "resumed.log");
        assertTrue(log.contains("resuming from"), log);
        sameCheckpoint(two, killed);
    }

    /** The MPI rank of a process of this job, from its environment; -1 for mpirun itself and for others. */
    private static int rankOf(ProcessHandle p) {
        try {
            for (String kv : Files.readString(Path.of("/proc", Long.toString(p.pid()), "environ")).split("\0")) {
                if (kv.startsWith("OMPI_COMM_WORLD_RANK=")) {
                    return Integer.parseInt(kv.substring(kv.indexOf('=') + 1));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    @Test
    void aTwoRankCheckpointResumesOnOneProcess() throws Exception {
        Path single = dir.resolve("single");
        List<String> cmd = args(single, 2);
        cmd.addAll(List.of("--resume", two.resolve("checkpoints/step-00000008").toString()));
        runToEnd(ChildJvm.aim4j("1g", cmd), "single.log");
        // The global cursor hands the one process exactly the samples the ranks would have taken next.
        sameLosses(two, single, 1, 8);
        closeParameters(two, single);
    }
}
