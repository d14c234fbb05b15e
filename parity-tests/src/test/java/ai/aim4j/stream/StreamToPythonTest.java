package ai.aim4j.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.source.Synthetic;
import ai.aim4j.cli.ChildJvm;
import ai.aim4j.data.ModelInput;
import ai.aim4j.data.TrainingBatches;
import ai.aim4j.interop.worker.PythonEnvironment;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aim4j stream} consumed by Python's {@code JavaLoader} for real (a child JVM for the stream,
 * the project's Python environment for the consumer): the batches Python receives are the
 * trainer's loader's, bit for bit, as zero-copy, 64-byte-aligned views of the slot that JAX aliases;
 * a consumer killed with SIGKILL leaves neither a Java process nor a slot folder; a bad data folder
 * reaches Python as Java's error line.
 */
class StreamToPythonTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SEED = 7;
    private static final int SIZE = 24;
    private static final int STEPS = 4;

    @TempDir
    static Path dir;
    static Path data;

    @BeforeAll
    static void shard() throws IOException {
        // 50 encoded images: 4 batches of 16 (or of 8 per rank over 2 ranks) cross the first epoch's end.
        data = dir.resolve("png");
        DatasetWriter.write(new Synthetic(50, 40, 3, "train"), data, 2, Encoding.PNG, Map.of(), n -> { });
    }

    private static ObjectNode loaderArgs(Path data, int batch, int rank, int world) {
        ObjectNode a = JSON.createObjectNode();
        a.put("data", data.toString());
        a.put("batch_size", batch);
        a.put("transform", "pretrain");
        a.put("augment", "rrc+jitter");
        a.put("image_size", SIZE);
        a.put("seed", SEED);
        a.put("rank", rank);
        a.put("world", world);
        a.put("steps", STEPS);
        a.put("threads", 2);
        return a;
    }

    private static ObjectNode run(String mode, ObjectNode loader, Path out) {
        ObjectNode r = JSON.createObjectNode();
        r.put("mode", mode);
        r.set("loader", loader);
        if (out != null) {
            r.put("out", out.toString());
        }
        return r;
    }

    /** Starts the consumer script on {@code runs}; its standard error goes to a file in the test folder. */
    private static Process consumer(List<ObjectNode> runs) throws IOException, URISyntaxException {
        ObjectNode spec = JSON.createObjectNode();
        ArrayNode command = spec.putArray("command");
        ChildJvm.aim4j("1g", List.of()).forEach(command::add);
        spec.putArray("runs").addAll(runs);
        Path script = Path.of(StreamToPythonTest.class.getResource("/stream/consume.py").toURI());
        return PythonEnvironment.locate().process(List.of(script.toString(), spec.toString()))
                .redirectError(Files.createTempFile(dir, "consumer", ".log").toFile()).start();
    }

    @Test
    void pythonReceivesTheTrainersBatchesBitForBitAsAlignedZeroCopyViews() throws Exception {
        Path missing = dir.resolve("no-such-dataset");
        Process p = consumer(List.of(run("batches", loaderArgs(data, 16, 0, 1), dir.resolve("w1")),
                run("batches", loaderArgs(data, 8, 1, 2), dir.resolve("w2r1")),
                run("error", loaderArgs(missing, 8, 0, 1), null)));
        List<JsonNode> reports = reports(p);
        assertEquals(0, p.waitFor(), "the consumer script failed (see its log in " + dir + ")");
        assertEquals(3, reports.size());

        expectTrainerBatches(dir.resolve("w1"), 16, 0, 1);
        expectTrainerBatches(dir.resolve("w2r1"), 8, 1, 2);
        for (JsonNode report : reports.subList(0, 2)) {
            assertEquals(STEPS, report.get("batches").size());
            for (JsonNode b : report.get("batches")) {
                assertTrue(b.get("aligned").asBoolean(), "every tensor starts on a 64-byte boundary: " + b);
                assertTrue(b.get("in_slot").asBoolean(), "the images are a view of the slot's mapping: " + b);
                assertTrue(b.get("jax_aliased").asBoolean(), "jax.device_put(may_alias=True) kept the slot's memory: " + b);
                assertTrue(b.get("jax_equal").asBoolean());
                assertTrue(b.get("torch_shared").asBoolean(), "torch.from_numpy shares the slot's memory: " + b);
            }
            assertFalse(report.get("ring_left").asBoolean(), "closing the loader removes the slots' folder");
        }
        String error = reports.get(2).get("error").asText();
        assertTrue(error.startsWith("aim4j: error: ") && error.contains(missing.toString()), "Java's error line reaches Python: " + error);
    }

    /** The batches the trainer's loader makes for these settings equal, byte for byte, what Python wrote to {@code out}. */
    private static void expectTrainerBatches(Path out, int batch, int rank, int world) throws IOException {
        try (ShardSet set = ShardSet.open(data);
             BatchLoader trainer = TrainingBatches.open(set, ModelInput.transform(new int[] {SIZE, SIZE}, 3, set, "rrc+jitter", true), SEED,
                     rank, world, new Sampler.Cursor(0, 0), batch, 1, w -> { })) {
            boolean crossedEpoch = false;
            for (int step = 0; step < STEPS; step++) {
                try (Batch b = trainer.next()) {
                    String at = out + " batch " + step;
                    assertArrayEquals(b.pixels().toArray(ValueLayout.JAVA_BYTE), Files.readAllBytes(out.resolve(step + "-images.bin")), at);
                    assertArrayEquals(b.labels(), ints(out.resolve(step + "-labels.bin")), at);
                    assertArrayEquals(b.ids(), longs(out.resolve(step + "-ids.bin")), at);
                    assertArrayEquals(b.epochs(), longs(out.resolve(step + "-epochs.bin")), at);
                    assertEquals(b.cursorAfter().epoch() + ":" + b.cursorAfter().position(), Files.readString(out.resolve(step + "-cursor.txt")));
                    crossedEpoch |= b.epochs()[0] != b.epochs()[b.size() - 1];
                }
            }
            assertTrue(crossedEpoch, "a batch straddles the epoch boundary");
        }
    }

    @Test
    void aKilledConsumerLeavesNoJavaProcessAndNoSlots() throws Exception {
        Process p = consumer(List.of(run("die", loaderArgs(data, 8, 0, 1).put("steps", (String) null), null)));
        JsonNode started = reports(p).getFirst();
        p.waitFor(60, TimeUnit.SECONDS);
        long pid = started.get("pid").asLong();
        Path ring = Path.of(started.get("ring").asText());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) || Files.exists(ring))) {
            Thread.sleep(100);
        }
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "the stream's JVM " + pid + " ended with its consumer");
        assertFalse(Files.exists(ring), ring + " was removed");
    }

    private static List<JsonNode> reports(Process p) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    private static int[] ints(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        int[] v = new int[b.remaining() / 4];
        b.asIntBuffer().get(v);
        return v;
    }

    private static long[] longs(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        long[] v = new long[b.remaining() / 8];
        b.asLongBuffer().get(v);
        return v;
    }
}
