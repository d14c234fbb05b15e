package ai.aim4j.interop.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The evaluating JVM does not outlive the one that started it, even one killed without notice. */
class PythonConfigMainTest {
    @TempDir
    Path dir;

    @Test
    void stopsAtOnceWhenItsStandardInputCloses() throws IOException, InterruptedException {
        Path endless = dir.resolve("endless.py");
        Files.writeString(endless, "def get_config():\n    while True:\n        pass\n");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PythonConfigMain.class.getName(), endless.toString()).start();
        try {
            // What the operating system does to the pipe when the parent process ends, however it ends.
            child.getOutputStream().close();
            assertTrue(child.waitFor(Duration.ofSeconds(20)), "the child still runs");
            assertEquals(1, child.exitValue());
        } finally {
            child.destroyForcibly().onExit().join();
        }
    }
}
