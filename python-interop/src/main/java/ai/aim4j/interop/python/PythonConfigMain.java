package ai.aim4j.interop.python;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * Main class of the child JVM in which {@link PythonConfigs} evaluates one config file, in the GraalPy
 * sandbox: writes {@code get_config()}'s dict as JSON on standard output and exits with status 0, or
 * writes the problem (one line) there and exits with {@link #EXIT_CONFIG_ERROR}. Its standard input
 * must stay open while it runs: when it closes, the JVM that started this one has ended, and this one
 * stops at once.
 */
public final class PythonConfigMain {
    /** Exit status for a config that failed; 1 is the java launcher's own (no main class, uncaught exception). */
    static final int EXIT_CONFIG_ERROR = 2;
    // The launcher's failure status, for a wrong invocation and for a run whose parent is gone.
    private static final int EXIT_FAILURE = 1;

    private PythonConfigMain() {}

    /** Evaluates the config file named by the one argument. */
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: " + PythonConfigMain.class.getName() + " CONFIG.py");
            System.exit(EXIT_FAILURE);
        }
        stopWhenParentEnds();
        try {
            write(ConfigSandbox.evaluateToJson(Path.of(args[0])));
            System.exit(0);
        } catch (PythonConfigException e) {
            write(e.problem());
        } catch (IOException e) {
            write("the file cannot be read (" + e + ")");
        }
        System.exit(EXIT_CONFIG_ERROR);
    }

    // The parent holds the write end of this process's stdin for as long as it waits, and the operating
    // system closes it when the parent ends, even when it is killed: end of input means no one is waiting.
    private static void stopWhenParentEnds() {
        Thread.ofPlatform().daemon().name("parent-watch").start(() -> {
            try {
                System.in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                // A broken stdin means the same as its end.
            }
            Runtime.getRuntime().halt(EXIT_FAILURE);
        });
    }

    // UTF-8 whatever the platform's console encoding, so that the parent decodes exactly what was written.
    private static void write(String text) {
        System.out.writeBytes(text.getBytes(UTF_8));
        System.out.flush();
    }
}
