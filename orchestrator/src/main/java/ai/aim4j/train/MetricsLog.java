package ai.aim4j.train;

import ai.aim4j.files.AtomicFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/** {@code metrics.jsonl}: one JSON object per line, appended and flushed as each step ends. */
public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    public MetricsLog(Path file) {
        this.file = file;
    }

    public ObjectNode line() {
        return JSON.createObjectNode();
    }

    public void append(ObjectNode line) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    /** Every line, in order; none when the log does not exist yet. */
    public List<JsonNode> read() throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<JsonNode> lines = new java.util.ArrayList<>();
        for (String l : Files.readAllLines(file)) {
            if (!l.isBlank()) {
                lines.add(JSON.readTree(l));
            }
        }
        return lines;
    }

    /**
     * Drops lines of steps after {@code step} (left by a run that died after its last checkpoint), so a
     * resumed run's log reads as one run. A torn last line from a crash is dropped too.
     */
    public void truncateAfter(long step) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        List<String> keep = Files.readAllLines(file).stream().filter(l -> {
            try {
                var n = JSON.readTree(l);
                return n != null && n.has("step") && n.get("step").asLong() <= step;
            } catch (IOException e) {
                return false;
            }
        }).toList();
        AtomicFiles.writeString(file, keep.isEmpty() ? "" : String.join("\n", keep) + "\n");
    }
}
