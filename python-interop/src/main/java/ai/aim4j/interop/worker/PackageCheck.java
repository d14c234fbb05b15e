package ai.aim4j.interop.worker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Checks an interpreter against aim4j's pins: runs {@code python -m aim4j.environment} (standard
 * library only, so it runs in an empty environment), which imports each package and compares its
 * version with {@code requirements.txt}.
 */
public final class PackageCheck {
    private PackageCheck() {}

    /** Every pinned package's state in {@code env}, then aim4j's own; an interpreter that cannot run the check is an error. */
    public static List<PackageStatus> check(PythonEnvironment env) throws IOException {
        Process p;
        try {
            p = env.process(List.of("-m", "aim4j.environment", PythonEnvironment.sources().resolve("requirements.txt").toString())).start();
        } catch (IOException e) {
            throw new IOException(env.python() + ": cannot start: " + e.getMessage(), e);
        }
        p.getOutputStream().close();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread drain = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code;
        try {
            drain.join();
            code = p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException(env.python() + ": the package check was interrupted", e);
        }
        if (code != 0) {
            String[] lines = err.toString(StandardCharsets.UTF_8).strip().split("\n");
            throw new IOException(env.python() + ": cannot check its packages (exit " + code + "): " + lines[lines.length - 1].strip());
        }
        return out.lines().filter(l -> !l.isBlank()).map(PackageStatus::parse).toList();
    }

    private static void copy(InputStream in, ByteArrayOutputStream to) {
        try (in) {
            in.transferTo(to);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
