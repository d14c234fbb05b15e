package ai.aim4j.interop.python;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.stream.Collectors;

/**
 * Evaluates a Python config in a child JVM ({@link PythonConfigMain}) with a capped heap and a time
 * limit. GraalPy's community edition cannot cap a context's heap (sandbox resource limits need Oracle
 * GraalVM), so a config that allocates without bound could otherwise exhaust the caller's JVM; in a
 * child of its own it only ends that child. The child is the same java executable on the same class
 * path, so it runs under the launcher's jar and under a test runner alike.
 */
final class ChildJvmEvaluator {
    // HotSpot's exit status under -XX:+ExitOnOutOfMemoryError.
    private static final int EXIT_OUT_OF_MEMORY = 3;

    private final Duration timeLimit;
    private final int memoryLimitMb;

    /** Each evaluation is stopped after {@code timeLimit} and runs with a heap of {@code memoryLimitMb}. */
    ChildJvmEvaluator(Duration timeLimit, int memoryLimitMb) {
        this.timeLimit = timeLimit;
        this.memoryLimitMb = memoryLimitMb;
    }

    /** Evaluates {@code file}'s {@code get_config()} in a new child JVM and returns the dict as JSON text. */
    String evaluateToJson(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString());
        }
        Process child = new ProcessBuilder(command(file)).start();
        try {
            FutureTask<byte[]> out = drain(child.getInputStream());
            FutureTask<byte[]> err = drain(child.getErrorStream());
            if (!child.waitFor(timeLimit)) {
                throw new PythonConfigException(file, "the config's evaluation exceeded its time limit of "
                        + timeLimit.toSeconds() + " s and was stopped");
            }
            return outcome(file, child.exitValue(), text(out), text(err));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(file + ": interrupted while its config was evaluated");
        } finally {
            // A no-op for a child that exited; otherwise (time limit, interruption) it is killed, and waited
            // for so that no process outlives the call.
            child.destroyForcibly().onExit().join();
        }
    }

    private List<String> command(Path file) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + memoryLimitMb + "m",
                // Exits at the first OutOfMemoryError, before GraalPy can turn it into a MemoryError that a
                // config could catch; the status then tells the cause for certain.
                "-XX:+ExitOnOutOfMemoryError",
                // One thread evaluates, briefly: the single-threaded collector and the quick compiler only
                // start fastest and take no cores from the caller.
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                // Truffle loads a JDK support library and its strings use sun.misc.Unsafe: without these two
                // the JDK prints warnings on stderr.
                "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"),
                PythonConfigMain.class.getName(),
                file.toAbsolutePath().toString());
    }

    private String outcome(Path file, int status, String out, String err) throws PythonConfigException {
        return switch (status) {
            case 0 -> out;
            case PythonConfigMain.EXIT_CONFIG_ERROR -> throw new PythonConfigException(file, oneLine(out));
            case EXIT_OUT_OF_MEMORY -> throw new PythonConfigException(file,
                    "the config exceeded the " + memoryLimitMb + " MB memory limit of its evaluation");
            default -> throw new PythonConfigException(file,
                    "its evaluation process failed with exit status " + status + diagnostic(err + "\n" + out));
        };
    }

    // The child writes until it exits; reading both streams meanwhile keeps a full pipe from stalling it.
    private static FutureTask<byte[]> drain(InputStream stream) {
        FutureTask<byte[]> task = new FutureTask<>(stream::readAllBytes);
        Thread.ofVirtual().name("python-config-drain").start(task);
        return task;
    }

    private static String text(FutureTask<byte[]> drained) throws IOException, InterruptedException {
        try {
            return new String(drained.get(), UTF_8);
        } catch (ExecutionException e) {
            throw new IOException("reading the config's evaluation output failed", e.getCause());
        }
    }

    private static String oneLine(String text) {
        return text.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    // The first lines the child wrote say why it failed: the launcher (no main class, an uncaught exception)
    // writes on stderr, HotSpot (a JVM that could not start) on stdout. Its notice of options taken from
    // the environment is no part of the reason.
    private static String diagnostic(String output) {
        String lines = output.lines().map(String::strip).filter(line -> !line.isEmpty() && !line.startsWith("Picked up "))
                .limit(3).collect(Collectors.joining("; "));
        return lines.isEmpty() ? "" : " (" + lines + ")";
    }
}
