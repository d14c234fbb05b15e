package ai.aim4j.weights;

import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.interop.worker.PythonWorker;
import ai.aim4j.interop.worker.WorkerReply;
import ai.aim4j.model.tensor.NamedTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The orbax layouts Java does not read (OCDBT, zarr v3), restored by orbax itself in a Python worker
 * ({@code aim4j.orbax_io:restore_op}) and handed over as a tensor file.
 */
final class OrbaxPython {
    private static final String RESTORE = "aim4j.orbax_io:restore_op";

    private OrbaxPython() {}

    /**
     * Every array of the checkpoint in {@code dir}, keyed by {@code /}-joined tree path. The tensors
     * stay in the reply's mapped file, which outlives the worker; closing the result unmaps it.
     */
    static NamedTensors restore(Path dir, OrbaxLayout layout) throws IOException {
        PythonEnvironment python;
        try {
            python = PythonEnvironment.locate();
        } catch (IllegalStateException e) {
            throw new IOException(dir + ": the " + layout.name() + " layout is read by orbax in Python, and " + e.getMessage(), e);
        }
        WorkerReply reply;
        try (PythonWorker worker = PythonWorker.start(python, "jax")) {
            reply = worker.call(RESTORE, Map.of("directory", dir.toAbsolutePath().toString()));
        } catch (IOException e) {
            throw new IOException(dir + ": " + e.getMessage(), e);
        }
        return new NamedTensors(reply.tensors().tensors(), Map.of(), reply);
    }
}
