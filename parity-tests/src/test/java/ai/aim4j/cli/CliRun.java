package ai.aim4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/** One in-process {@code aim4j} command line with its exit code and captured output, for tests. */
public record CliRun(int code, String out, String err) {
    /** Runs {@code args} through {@link Main#run}, capturing standard output and error. */
    public static synchronized CliRun of(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            return new CliRun(Main.run(args), out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
