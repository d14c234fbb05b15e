package ai.aim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.interop.worker.PythonSetup;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aim4j python setup|info}: the version table, and one error line per problem, without installing anything. */
class PythonCommandTest {
    @TempDir
    Path dir;

    @Test
    void infoShowsThePinnedVersionsOfTheEnvironment() {
        CliRun run = CliRun.of("python", "info");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().lines().anyMatch(l -> l.matches("jax +==0\\.10\\.2 +0\\.10\\.2 +ok")), run.out());
        assertTrue(run.out().lines().anyMatch(l -> l.matches("torch +==2\\.13\\.0\\+cpu +2\\.13\\.0\\+cpu +ok")), run.out());
    }

    @Test
    void setupWithAnInterpreterLackingThePackagesChecksItAndSaysWhatIsMissing() throws Exception {
        Path venv = dir.resolve("bare");
        assertEquals(0, new ProcessBuilder(PythonSetup.BASE_PYTHON, "-m", "venv", "--without-pip", venv.toString()).inheritIO().start().waitFor());
        Path python = venv.resolve("bin/python");
        CliRun run = CliRun.of("python", "setup", "--python", python.toString());
        assertEquals(1, run.code());
        String[] errors = run.err().lines().filter(l -> l.startsWith("aim4j: error: ")).toArray(String[]::new);
        assertEquals(10, errors.length, run.err()); // the ten pins; aim4j's own package is found through PYTHONPATH
        assertEquals("aim4j: error: " + python + ": jax not installed", errors[0]);
        assertTrue(run.err().contains(python + " -m pip install -r "), "names the command that would install the pins: " + run.err());
        assertTrue(Arrays.stream(run.out().split("\n")).anyMatch(l -> l.matches("flax +==0\\.12\\.8 +- +missing")), run.out());
    }

    @Test
    void badInterpretersAndFlagsAreOneLine() {
        CliRun missing = CliRun.of("python", "info", "--python", dir.resolve("nope").toString());
        assertEquals(1, missing.code());
        assertEquals("aim4j: error: " + dir.resolve("nope") + ": not an executable Python interpreter", missing.err().strip());
        CliRun both = CliRun.of("python", "setup", "--venv", dir.toString(), "--python", "/usr/bin/python3");
        assertEquals(2, both.code());
        assertTrue(both.err().startsWith("Error: --venv=<venv>, --python=<python> are mutually exclusive"), both.err());
    }
}
