package ai.aim4j.interop.worker;

import java.io.IOException;

/**
 * A Python worker that failed: it could not start, died, or an op raised. The message's first line
 * names the backend (and the op); a dead worker's message goes on with the last lines it printed.
 */
public final class PythonWorkerException extends IOException {
    private final String pythonTraceback;

    PythonWorkerException(String message, String pythonTraceback, Throwable cause) {
        super(message, cause);
        this.pythonTraceback = pythonTraceback;
    }

    PythonWorkerException(String message) {
        this(message, null, null);
    }

    /** The Python traceback of an op that raised; null for other failures. */
    public String pythonTraceback() {
        return pythonTraceback;
    }
}
