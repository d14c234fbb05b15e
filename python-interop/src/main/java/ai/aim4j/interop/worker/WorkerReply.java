package ai.aim4j.interop.worker;

import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What an op returned: its JSON result and its tensors, mapped from the reply's tensor file without
 * a copy. Closing the reply unmaps and deletes that file, so copy what must outlive it.
 */
public final class WorkerReply implements AutoCloseable {
    private final Map<String, Object> result;
    private final NamedTensors tensors;
    private final Path file;

    WorkerReply(Map<String, Object> result, NamedTensors tensors, Path file) {
        this.result = result;
        this.tensors = tensors;
        this.file = file;
    }

    /** The op's result object, as Jackson reads JSON (maps, lists, strings, numbers, booleans, nulls). */
    public Map<String, Object> result() {
        return result;
    }

    /** The returned tensors (none when the op returned none); valid until the reply is closed. */
    public NamedTensors tensors() {
        return tensors;
    }

    /** One returned tensor. */
    public HostTensor tensor(String name) {
        return tensors.get(name);
    }

    @Override
    public void close() throws IOException {
        tensors.close();
        if (file != null) {
            Files.deleteIfExists(file);
        }
    }

    static WorkerReply withoutTensors(Map<String, Object> result) {
        return new WorkerReply(result, NamedTensors.inMemory(new LinkedHashMap<>()), null);
    }
}
