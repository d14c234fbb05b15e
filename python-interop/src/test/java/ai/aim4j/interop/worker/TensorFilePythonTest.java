package ai.aim4j.interop.worker;

import static ai.aim4j.interop.worker.TensorFileTest.assertSameTensors;
import static ai.aim4j.interop.worker.TensorFileTest.everyType;
import static ai.aim4j.interop.worker.TensorFileTest.randomTensor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tensor files across the bridge, with a real JAX worker: Python's reader (pyarrow, with its batch
 * validation) accepts Java's files, Java's reader accepts Python's, and what comes back is bit for
 * bit what went out; Python receives 64-byte aligned arrays that JAX and torch use in place.
 */
class TensorFilePythonTest {
    private static PythonWorker worker;

    @BeforeAll
    static void start() throws IOException {
        worker = PythonWorker.start(PythonEnvironment.locate(), "jax");
    }

    @AfterAll
    static void stop() {
        worker.close();
    }

    @Test
    void everyTypeComesBackBitExactThroughPython() throws IOException {
        SequencedMap<String, HostTensor> tensors = everyType(5);
        // Java writes, Python reads and writes again (aim4j.ipc), Java reads.
        try (WorkerReply reply = worker.call("echo", Map.of("note", "round trip"), tensors)) {
            assertSameTensors(tensors, reply.tensors());
            assertEquals(Map.of("note", "round trip"), reply.result());
            reply.tensors().tensors().forEach((name, t) -> assertEquals(0, t.data().address() % 64, name + " in Python's file"));
        }
    }

    @Test
    void pythonGetsAlignedMappedArraysThatJaxAndTorchShare() throws IOException {
        SequencedMap<String, HostTensor> tensors = everyType(6);
        tensors.remove("empty"); // an empty array has no memory to share
        try (WorkerReply reply = worker.call("describe", Map.of("frameworks", List.of("jax", "torch")), tensors)) {
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Object>> seen = (Map<String, Map<String, Object>>) reply.result().get("tensors");
            assertEquals(tensors.sequencedKeySet().stream().toList(), List.copyOf(seen.keySet()));
            for (var e : tensors.entrySet()) {
                Map<String, Object> d = seen.get(e.getKey());
                String name = e.getKey();
                assertEquals(e.getValue().dtype().numpyName(), d.get("dtype"), name);
                assertEquals(0, d.get("address_mod_64"), name);
                assertEquals(true, d.get("writable"), name + ": ops get copy-on-write arrays");
                assertEquals(true, d.get("torch_shares"), name);
                // Without jax_enable_x64, JAX converts 64-bit types to 32 bits: a copy by definition.
                boolean sixtyFourBit = e.getValue().dtype() == DType.F64 || e.getValue().dtype() == DType.I64;
                assertEquals(!sixtyFourBit, d.get("jax_shares"), name);
            }
        }
    }

    @Test
    void pythonArithmeticMatchesJavaBitForBit() throws IOException {
        SplittableRandom random = new SplittableRandom(7);
        float[] a = new float[2 * 3 * 4];
        float[] b = new float[3 * 4];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) random.nextGaussian();
        }
        SequencedMap<String, HostTensor> in = new LinkedHashMap<>();
        in.put("a", HostTensor.ofFloats(new long[] {2, 3, 4}, a));
        in.put("b", HostTensor.ofFloats(new long[] {3, 4}, b));
        in.put("c", randomTensor(DType.F32, new long[0], random)); // a scalar broadcasts everywhere
        float c = (float) in.get("c").toDoubles()[0];
        try (WorkerReply reply = worker.call("add", Map.of(), in)) {
            HostTensor sum = reply.tensor("sum");
            assertEquals(DType.F32, sum.dtype());
            assertArrayEquals(new long[] {2, 3, 4}, sum.shape());
            double[] got = sum.toDoubles();
            for (int i = 0; i < a.length; i++) {
                // IEEE-754 single-precision addition rounds identically in NumPy and Java: tolerance 0.
                assertEquals(a[i] + b[i % b.length] + c, (float) got[i], 0f, "element " + i);
            }
        }
    }
}
