package ai.aim4j.interop.python;

import java.io.IOException;
import java.nio.file.Path;

/** A Python config file that failed: a Python error, a forbidden operation, or no usable get_config(). */
public class PythonConfigException extends IOException {
    public PythonConfigException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
