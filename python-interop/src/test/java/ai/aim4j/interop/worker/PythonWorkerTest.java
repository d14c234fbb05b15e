package ai.aim4j.interop.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.tensor.HostTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's life: the versions op, op errors (one line, the worker carries on), and every way a
 * worker fails to start or dies, each reported with the backend and the worker's last output, with
 * no process or folder left behind.
 */
class PythonWorkerTest {
    @TempDir
    Path dir;

    private static PythonWorker numpyWorker() throws IOException {
        return PythonWorker.start(PythonEnvironment.locate(), "numpy");
    }

    @Test
    void versionsNamesTheWholeStack() throws IOException, InterruptedException {
        PythonEnvironment env = PythonEnvironment.locate();
        Process p = new ProcessBuilder(env.python().toString(), "--version").redirectErrorStream(true).start();
        String pythonVersion = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor();
        Matcher pyproject = Pattern.compile("(?m)^version = \"([^\"]+)\"")
                .matcher(Files.readString(PythonEnvironment.pythonSources().resolve("pyproject.toml")));
        assertTrue(pyproject.find());
        try (PythonWorker w = numpyWorker(); WorkerReply r = w.call("versions", Map.of())) {
            Map<String, Object> v = r.result();
            assertEquals(pythonVersion, "Python " + v.get("python"));
            assertEquals(pyproject.group(1), v.get("aim4j"), "the worker runs this checkout's Python sources");
            for (String pkg : List.of("numpy", "jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "torch", "pyarrow")) {
                assertNotNull(v.get(pkg), pkg + " is missing from the environment (./aim4j python setup installs it)");
            }
        }
    }

    @Test
    void anOpErrorComesBackAsOneLineAndTheWorkerCarriesOn() throws IOException {
        try (PythonWorker w = numpyWorker()) {
            SequencedMap<String, HostTensor> mismatched = new LinkedHashMap<>();
            mismatched.put("a", HostTensor.ofFloats(new long[] {2}, new float[2]));
            mismatched.put("b", HostTensor.ofFloats(new long[] {3}, new float[3]));
            PythonWorkerException e = assertThrows(PythonWorkerException.class, () -> w.call("add", Map.of(), mismatched));
            assertEquals("Python worker (backend numpy) op add failed: ValueError: operands could not be broadcast together with shapes (2,) (3,)",
                    e.getMessage());
            assertTrue(e.pythonTraceback().contains("in add"), e.pythonTraceback());

            e = assertThrows(PythonWorkerException.class, () -> w.call("aim4j.ops:nothing_here", Map.of()));
            assertEquals("Python worker (backend numpy) op aim4j.ops:nothing_here failed: ValueError: aim4j.ops has no op 'nothing_here'",
                    e.getMessage());
            e = assertThrows(PythonWorkerException.class, () -> w.call("os:system", Map.of()));
            assertTrue(e.getMessage().endsWith("ValueError: op 'os:system' is outside the aim4j package"), e.getMessage());
            e = assertThrows(PythonWorkerException.class, () -> w.call("echo", Map.of("x", new Object())));
            assertTrue(e.getMessage().startsWith("Python worker (backend numpy) op echo: arguments are not JSON"), e.getMessage());

            SequencedMap<String, HostTensor> one = new LinkedHashMap<>();
            one.put("a", HostTensor.ofFloats(new long[] {2}, new float[] {1.5f, -2f}));
            try (WorkerReply r = w.call("add", Map.of(), one)) {
                assertEquals(List.of(1.5, -2.0), List.of(r.tensor("sum").toDoubles()[0], r.tensor("sum").toDoubles()[1]));
            }
        }
    }

    @Test
    void aKilledWorkerNamesItsBackendAndItsLastOutput() throws IOException, InterruptedException {
        PythonWorker w = numpyWorker();
        ProcessHandle.of(w.pid()).orElseThrow().destroyForcibly(); // SIGKILL
        PythonWorkerException e = assertThrows(PythonWorkerException.class, () -> w.call("versions", Map.of()));
        String[] lines = e.getMessage().split("\n");
        assertEquals("Python worker (backend numpy) op versions: the worker died (exit code 137); its last output:", lines[0]);
        assertTrue(lines[1].startsWith("  aim4j worker: backend numpy ready (pid " + w.pid()), e.getMessage());
        e = assertThrows(PythonWorkerException.class, () -> w.call("versions", Map.of()));
        assertEquals("Python worker (backend numpy) op versions: the worker exited with code 137", e.getMessage());
        assertFalse(Files.exists(w.folder()), "the folder goes with the worker");
        w.close();
    }

    @Test
    void aBackendThatCannotLoadEndsTheStartWithTheWorkersOutput() {
        PythonWorkerException e = assertThrows(PythonWorkerException.class, () -> PythonWorker.start(PythonEnvironment.locate(), "tensorflow"));
        assertEquals("""
                Python worker (backend tensorflow) exited before it was ready (exit code 2); its last output:
                  aim4j worker: unknown backend 'tensorflow'; one of numpy, jax, torch""", e.getMessage());
    }

    @Test
    void aMissingInterpreterIsNamed() {
        Path missing = dir.resolve("bin").resolve("python");
        PythonWorkerException e = assertThrows(PythonWorkerException.class, () -> PythonWorker.start(new PythonEnvironment(missing), "numpy"));
        assertTrue(e.getMessage().startsWith("Python worker (backend numpy): cannot run " + missing + ": "), e.getMessage());
    }

    @Test
    void aWorkerThatNeverGetsReadyIsKilledAtTheDeadline() throws IOException {
        Path fake = dir.resolve("python");
        Files.writeString(fake, "#!/bin/sh\necho 'importing something slow'\nexec sleep 60\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        List<Path> before = ownFolders();
        long t0 = System.nanoTime();
        PythonWorkerException e = assertThrows(PythonWorkerException.class,
                () -> PythonWorker.start(new PythonEnvironment(fake), "jax", Duration.ofSeconds(1)));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(e.getMessage().startsWith("Python worker (backend jax) was not ready within 1 s (exit code 137); its last output:\n"
                + "  importing something slow"), e.getMessage());
        assertTrue(seconds < 10, "gave up after " + seconds + " s");
        assertEquals(before, ownFolders(), "no folder left behind");
    }

    @Test
    void closingEndsTheProcessAndRemovesTheFolder() throws IOException, InterruptedException {
        PythonWorker w = numpyWorker();
        ProcessHandle process = ProcessHandle.of(w.pid()).orElseThrow();
        assertTrue(Files.isDirectory(w.folder()));
        w.close();
        process.onExit().orTimeout(5, TimeUnit.SECONDS).join();
        assertFalse(process.isAlive());
        assertFalse(Files.exists(w.folder()));
        w.close();
        PythonWorkerException e = assertThrows(PythonWorkerException.class, () -> w.call("versions", Map.of()));
        assertEquals("Python worker (backend numpy) op versions: the worker was closed", e.getMessage());
    }

    private static List<Path> ownFolders() throws IOException {
        try (Stream<Path> s = Files.list(SharedMemoryFolder.root())) {
            return s.filter(p -> p.getFileName().toString().startsWith("aim4j-" + ProcessHandle.current().pid() + "-")).sorted().toList();
        }
    }
}
