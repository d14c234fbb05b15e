package ai.aim4j.interop.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A JVM killed with SIGKILL cannot clean up, so its worker must: it notices its standard input end,
 * removes the shared-memory folder and exits. Checked on a child JVM holding a worker.
 */
class WorkerOrphanTest {

    @Test
    void aWorkerOutlivesNoKilledJvm() throws IOException, InterruptedException {
        Process jvm = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Daim4j.home=" + System.getProperty("aim4j.home", "."), "-cp", System.getProperty("java.class.path"),
                WorkerHolder.class.getName(), "numpy").redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String line = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertTrue(line != null && line.matches("\\d+ .+"), "the child JVM did not report its worker: " + line);
            long pid = Long.parseLong(line.split(" ")[0]);
            Path folder = Path.of(line.substring(line.indexOf(' ') + 1));
            Optional<ProcessHandle> worker = ProcessHandle.of(pid);
            assertTrue(worker.isPresent() && Files.isDirectory(folder), "worker " + pid + " and its folder " + folder + " are there");
            assertEquals(List.of(jvm.pid()), worker.get().parent().map(ProcessHandle::pid).stream().toList());

            jvm.destroyForcibly(); // SIGKILL: no shutdown hook, no finally
            jvm.waitFor(10, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while ((worker.get().isAlive() || Files.exists(folder)) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertFalse(worker.get().isAlive(), "worker " + pid + " outlived its JVM");
            assertFalse(Files.exists(folder), folder + " outlived its JVM");
        } finally {
            jvm.destroyForcibly();
        }
    }
}
