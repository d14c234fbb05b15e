package ai.aim4j.weights;

import java.io.IOException;
import java.nio.file.Path;

/** A weights or array file that is malformed: truncated, inconsistent or of an unknown layout. */
public class CheckpointFormatException extends IOException {
    public CheckpointFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public CheckpointFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
