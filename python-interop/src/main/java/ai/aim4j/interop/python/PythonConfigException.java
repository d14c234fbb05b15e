package ai.aim4j.interop.python;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A Python config file that failed: a Python error, a forbidden operation, no usable get_config(), or
 * an evaluation stopped at its memory or time limit. The message is one line: the file, then the problem.
 */
public class PythonConfigException extends IOException {
    private final String problem;

    public PythonConfigException(Path file, String problem) {
        super(file + ": " + problem);
        this.problem = problem;
    }

    /** What went wrong, without the file's name. */
    public String problem() {
        return problem;
    }
}
