package ai.aim4j.interop.pickle;

/**
 * A pickle that cannot be read as data: truncated, inconsistent opcodes, or declaring more than it
 * holds. The reader that knows the file wraps it into its own format error.
 */
public class MalformedPickleException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedPickleException(String problem, Throwable cause) {
        super(problem, cause);
    }
}
