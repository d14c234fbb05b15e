package ai.aim4j.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.cli.Main;
import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.interop.worker.PythonWorker;
import ai.djl.ndarray.types.DataType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java model beside aim4j's own JAX/Flax and PyTorch models, each in a CPython worker, on fresh
 * inputs (seeded normal images and prefix masks, not the fixtures' own): every shipped fixture's
 * config and weights in float32 and float64, and the pre-training step. Two independent
 * implementations meet here, so the bounds are the fixtures' policy ({@link Tolerance}): float32
 * within 2e-5 x max|ref| (both sides round in float32, in different orders), float64 within
 * 1e-10 x max|ref|, gradients 1e-5 x max|ref|, the AdamW step 2 float32 ulps.
 */
class LiveParityTest {
    private static final Map<String, PythonWorker> WORKERS = new TreeMap<>();
    private static final List<DataType> BOTH = List.of(DataType.FLOAT32, DataType.FLOAT64);

    @BeforeAll
    static void startWorkers() throws IOException {
        for (String backend : List.of("jax", "torch")) {
            WORKERS.put(backend, PythonWorker.start(PythonEnvironment.locate(), backend));
        }
    }

    @AfterAll
    static void stopWorkers() {
        WORKERS.values().forEach(PythonWorker::close);
    }

    private static void assertAllPass(List<ParityRow> rows, int expected) {
        List<ParityRow> failed = rows.stream().filter(r -> !r.passed()).toList();
        assertTrue(failed.isEmpty(), "failed comparisons: " + failed);
        assertEquals(expected, rows.size(), "comparisons made");
    }

    @ParameterizedTest
    @CsvSource({"jax,tiny-gray,weights.safetensors", "jax,small-rgb,weights_flax.msgpack", "torch,tiny-gray,weights.pth",
            "torch,small-rgb,weights.safetensors"})
    void theForwardPassAgreesWithTheReference(String backend, String fixture, String weights) throws IOException {
        Path dir = Fixtures.shipped(fixture);
        var request = new LiveParity.Request(backend, "aim4j", dir.resolve(weights), dir.resolve("config.json").toString(), null, 3, 11,
                BOTH, false, note -> {});
        int blocks = Fixtures.config(fixture).blocks();
        // Per precision of the reference: 7 whole-model outputs with every block, and the prefix-masked blocks and norm;
        // the float32 model meets both references, the float64 model the float64 one.
        int perReference = 6 + blocks + blocks + 1;
        assertAllPass(LiveParity.run(request, WORKERS.get(backend)), 3 * perReference);
    }

    @ParameterizedTest
    @ValueSource(strings = {"jax", "torch"})
    void thePretrainingStepAgreesWithTheReference(String backend) throws IOException {
        Path dir = Fixtures.shipped("pretrain-small");
        var request = new LiveParity.Request(backend, "aim4j", dir.resolve("weights.safetensors"), dir.resolve("config.json").toString(), null,
                4, 5, BOTH, true, note -> {});
        List<ParityRow> rows = LiveParity.run(request, WORKERS.get(backend));
        assertAllPass(rows, rows.size());
        // 54 trainable tensors: their gradients in both precisions and both AdamW steps, beside the forward outputs.
        assertEquals(2 * 54 + 2 * 54, rows.stream().filter(r -> r.output().startsWith("trunk.") || r.output().startsWith("head.")
                || r.output().startsWith("preprocessor.")).count());
    }

    /**
     * bf16 mixed precision against {@code torch.autocast} on the same float32 weights: every forward
     * output, gradient and the grad norm within {@link Tolerance#BF16}; and the run is bf16
     * arithmetic (the pixel head's predictions come out in bf16 and differ from the float32 ones),
     * which the bound alone would not show.
     */
    @Test
    void mixedPrecisionAgreesWithTorchAutocast() throws IOException {
        Path dir = Fixtures.shipped("pretrain-small");
        var request = new LiveParity.Request("torch", "aim4j", dir.resolve("weights.safetensors"), dir.resolve("config.json").toString(), null,
                4, 5, List.of(DataType.BFLOAT16), true, note -> {});
        List<ParityRow> rows = LiveParity.run(request, WORKERS.get("torch"));
        assertAllPass(rows, rows.size());
        // 54 gradients, the grad norm and the forward outputs (no step: the optimizer is float32 either way).
        assertEquals(54, rows.stream().filter(r -> r.output().startsWith("trunk.") || r.output().startsWith("head.")
                || r.output().startsWith("preprocessor.")).count());
        assertTrue(rows.stream().allMatch(r -> r.precision().equals("bf16-mix")));
    }

    @Test
    void theCommandPrintsTheTableAndExitsZero() {
        Path dir = Fixtures.shipped("tiny-gray");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = System.out;
        int code;
        try (PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            code = Main.run("parity", "live", "--backend", "torch", "--weights", dir.resolve("weights.safetensors").toString(),
                    "--random", "2", "--dtype", "float32");
        } finally {
            System.setOut(out);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, text);
        assertTrue(text.contains("ALL PASS"), text);
    }
}
