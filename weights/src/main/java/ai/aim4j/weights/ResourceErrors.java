package ai.aim4j.weights;

/**
 * Words for the errors a reader turns into format errors when a file exhausts the JVM: whatever a
 * file declares must end as a message naming it, never as an error that ends the program.
 */
final class ResourceErrors {
    private ResourceErrors() {}

    /** The problem, for an out-of-memory error or a stack overflow met while reading a file. */
    static String describe(VirtualMachineError e) {
        if (e instanceof StackOverflowError) {
            return "nested too deeply to read (stack overflow)";
        }
        return "too large to read in this JVM's memory (" + e.getMessage() + ")";
    }
}
