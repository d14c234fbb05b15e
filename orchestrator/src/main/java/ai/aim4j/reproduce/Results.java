package ai.aim4j.reproduce;

import ai.aim4j.files.AtomicFiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The finished steps of a reproduction, one JSON file each in {@code DIR/results}: a step whose file
 * exists is done and is not run again, which is what makes an interrupted reproduction resumable.
 * Files are written atomically, so a step killed half-way leaves no file and simply runs again.
 */
final class Results {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path dir;

    /** Work that produces one result. */
    interface Work {
        ObjectNode run() throws IOException;
    }

    Results(Path reproduction) {
        this.dir = reproduction.resolve("results");
    }

    /** The stored result of {@code name}, or the result of running {@code work} (timed, then stored). */
    ObjectNode once(String name, String command, Work work) throws IOException {
        Path file = dir.resolve(name + ".json");
        if (Files.exists(file)) {
            try {
                return (ObjectNode) JSON.readTree(file.toFile());
            } catch (IOException | ClassCastException e) {
                throw new IOException(file + ": unreadable result (" + e.getMessage() + "); delete it to run that step again", e);
            }
        }
        long t0 = System.nanoTime();
        ObjectNode r = work.run();
        if (!r.has("seconds")) {
            r.put("seconds", (System.nanoTime() - t0) / 1e9);
        }
        r.put("command", command);
        Files.createDirectories(dir);
        AtomicFiles.writeString(file, r.toPrettyString() + "\n");
        return r;
    }
}
