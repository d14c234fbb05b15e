package ai.aim4j.interop.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.interop.worker.PackageStatus.State;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge's environment: the package check on the real environment (which must exist: the
 * message says how to make it), on interpreters lacking packages or holding wrong ones, and the
 * failure paths of setup, without installing the real packages.
 */
class PythonSetupTest {
    @TempDir
    Path dir;

    /** The pins, read from requirements.txt here rather than by the code under test. */
    private static Map<String, String> pins() throws IOException {
        Map<String, String> pins = new LinkedHashMap<>();
        for (String line : Files.readAllLines(PythonEnvironment.sources().resolve("requirements.txt"))) {
            String l = line.replaceAll("#.*", "").strip();
            if (!l.isEmpty()) {
                String name = l.split("[=<>!~ ]", 2)[0];
                pins.put(name, l.substring(name.length()));
            }
        }
        return pins;
    }

    private static Map<String, PackageStatus> byName(List<PackageStatus> packages) {
        return packages.stream().collect(Collectors.toMap(PackageStatus::name, Function.identity()));
    }

    /** A virtual environment without pip or anything else: about a second to make. */
    private Path bareVenv(String name) throws IOException, InterruptedException {
        Path venv = dir.resolve(name);
        Process p = new ProcessBuilder(PythonSetup.BASE_PYTHON, "-m", "venv", "--without-pip", venv.toString()).inheritIO().start();
        assertEquals(0, p.waitFor(), "python3 -m venv");
        return venv;
    }

    /** A fake installed distribution: its metadata and a package whose import runs {@code code}. */
    private static void fakeDistribution(Path venv, String name, String version, String code) throws IOException {
        Path site;
        try (Stream<Path> lib = Files.list(venv.resolve("lib"))) {
            site = lib.findFirst().orElseThrow().resolve("site-packages");
        }
        Path info = Files.createDirectories(site.resolve(name + "-" + version + ".dist-info"));
        Files.writeString(info.resolve("METADATA"), "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\n");
        Path pkg = Files.createDirectories(site.resolve(name));
        Files.writeString(pkg.resolve("__init__.py"), code + "\n");
    }

    @Test
    void theEnvironmentHoldsEveryPinnedVersion() throws IOException {
        // PythonEnvironment.locate() fails, naming ./aim4j python setup, where there is none.
        Map<String, PackageStatus> found = byName(PackageCheck.check(PythonEnvironment.locate()));
        Map<String, String> pins = pins();
        assertEquals(pins.size() + 1, found.size(), "every pin and aim4j itself: " + found.keySet());
        pins.forEach((name, spec) -> {
            PackageStatus s = found.get(name);
            assertEquals(State.OK, s.state(), name + ": " + s.detail());
            if (spec.startsWith("==")) {
                assertEquals(spec.substring(2), s.installed(), name);
            }
        });
        assertTrue(found.get("aim4j").state().usable(), found.get("aim4j").detail());
    }

    @Test
    void missingWrongAndBrokenPackagesAreEachReported() throws Exception {
        Path venv = bareVenv("partial");
        fakeDistribution(venv, "numpy", "1.26.4", "");
        fakeDistribution(venv, "safetensors", "0.8.0", "raise ImportError('libfoo.so: cannot open shared object file')");
        fakeDistribution(venv, "jax", "0.10.2", "");
        Map<String, PackageStatus> found = byName(PackageCheck.check(new PythonEnvironment(venv.resolve("bin/python"))));

        PackageStatus numpy = found.get("numpy");
        assertEquals(State.MISMATCH, numpy.state());
        assertEquals("1.26.4 installed, aim4j needs >=2,<3", numpy.detail());
        PackageStatus safetensors = found.get("safetensors");
        assertEquals(State.BROKEN, safetensors.state());
        assertTrue(safetensors.detail().contains("ImportError: libfoo.so"), safetensors.detail());
        assertEquals(State.OK, found.get("jax").state());
        for (String name : List.of("jaxlib", "flax", "optax", "orbax-checkpoint", "torch", "pyarrow", "pillow")) {
            assertEquals(State.MISSING, found.get(name).state(), name);
            assertNull(found.get(name).installed(), name);
        }
        assertEquals(State.UNLINKED, found.get("aim4j").state());
        assertTrue(!PackageStatus.allUsable(new ArrayList<>(found.values())));
    }

    @Test
    void aFailedPipNamesTheStepAndItsLog() throws Exception {
        Path venv = dir.resolve("venv");
        List<String> steps = new ArrayList<>();
        PythonEnvironment env = PythonSetup.createOrReuse(venv, steps::add);
        assertTrue(steps.getFirst().startsWith("creating the virtual environment " + venv), steps.toString());
        // No index consulted: pip fails at once (on the editable package's build requirements), whatever the machine's network.
        Path requirements = Files.writeString(dir.resolve("requirements.txt"), "--no-index\naim4j-test-no-such-distribution==1.0\n");
        Path log = dir.resolve("setup.log");
        IOException e = assertThrows(IOException.class, () -> PythonSetup.install(env, requirements, log, steps::add));
        assertEquals("pip install failed (exit 1) in " + env.python() + "; pip's output: " + log, e.getMessage());
        String logged = Files.readString(log);
        assertTrue(logged.startsWith("$ " + env.python() + " -m pip install") && logged.contains("ERROR: "), "the log holds pip's output: " + logged);
        assertTrue(steps.stream().anyMatch(s -> s.startsWith("  pip: ERROR: ")), "pip's error is shown: " + steps);

        // The same folder again is reused, not made anew.
        steps.clear();
        PythonSetup.createOrReuse(venv, steps::add);
        assertEquals(List.of("updating the virtual environment " + venv), steps);
    }

    @Test
    void aFolderThatIsNotAnEnvironmentIsRefused() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("data"));
        Files.writeString(folder.resolve("notes.txt"), "keep me");
        IOException e = assertThrows(IOException.class, () -> PythonSetup.createOrReuse(folder, s -> { }));
        assertEquals(folder + ": exists and is not a virtual environment; choose another --venv or empty it", e.getMessage());
        assertEquals("keep me", Files.readString(folder.resolve("notes.txt")));
    }

    @Test
    void anInterpreterThatCannotRunTheCheckIsOneLine() {
        IOException e = assertThrows(IOException.class, () -> PackageCheck.check(new PythonEnvironment(dir.resolve("no-python"))));
        assertTrue(e.getMessage().startsWith(dir.resolve("no-python") + ": cannot start: "), e.getMessage());
    }
}
