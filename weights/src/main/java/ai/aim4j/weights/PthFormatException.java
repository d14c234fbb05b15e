package ai.aim4j.weights;

import java.io.IOException;
import java.nio.file.Path;

/** A PyTorch checkpoint that is malformed: truncated zip, missing entries, inconsistent storages. */
public class PthFormatException extends IOException {
    public PthFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public PthFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
