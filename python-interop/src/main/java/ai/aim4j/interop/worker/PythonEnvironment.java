package ai.aim4j.interop.worker;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The CPython interpreter the bridge runs: {@code AIM4J_PYTHON} when set, otherwise the virtual
 * environment {@code ./aim4j python setup} made ({@code AIM4J_VENV}, by default {@code .venv} in the
 * aim4j checkout). The worker and the Python tests all start this interpreter.
 */
public record PythonEnvironment(Path python) {
    /** The variable naming an existing interpreter to use instead of aim4j's environment. */
    public static final String PYTHON_VARIABLE = "AIM4J_PYTHON";
    /** The variable naming the virtual environment's folder. */
    public static final String VENV_VARIABLE = "AIM4J_VENV";

    /** The default environment folder: {@code .venv} in the checkout the launcher runs from. */
    public static Path defaultVenv() {
        String venv = System.getenv(VENV_VARIABLE);
        if (venv != null && !venv.isBlank()) {
            return Path.of(venv);
        }
        return home().resolve(".venv");
    }

    /** The aim4j checkout (system property {@code aim4j.home}, which the launcher and the test runner set). */
    public static Path home() {
        return Path.of(System.getProperty("aim4j.home", ".")).toAbsolutePath().normalize();
    }

    /** This checkout's Python sources: the {@code aim4j} package, its {@code pyproject.toml} and {@code requirements.txt}. */
    public static Path sources() {
        return home().resolve("python-interop/src/main/python");
    }

    /**
     * A process running this interpreter with {@code args}, this checkout's Python sources first on
     * {@code PYTHONPATH} so the Python code always matches the Java code, whatever the environment
     * has installed.
     */
    public ProcessBuilder process(List<String> args) {
        ProcessBuilder pb = new ProcessBuilder(Stream.concat(Stream.of(python.toString()), args.stream()).toList());
        String inherited = pb.environment().get("PYTHONPATH");
        pb.environment().put("PYTHONPATH", inherited == null || inherited.isEmpty() ? sources().toString()
                : String.join(File.pathSeparator, List.of(sources().toString(), inherited)));
        return pb;
    }

    /** An interpreter given by its path; an error line unless it is an executable file. */
    public static PythonEnvironment of(Path python) {
        if (!Files.isExecutable(python) || Files.isDirectory(python)) {
            throw new IllegalArgumentException(python + ": not an executable Python interpreter");
        }
        return new PythonEnvironment(python);
    }

    /**
     * The interpreter {@link #locate()} finds, or empty when none is set up: {@code AIM4J_PYTHON}
     * unset and no default environment. A bad {@code AIM4J_PYTHON} is still an error.
     */
    public static Optional<PythonEnvironment> ifSetUp() {
        String python = System.getenv(PYTHON_VARIABLE);
        boolean named = python != null && !python.isBlank();
        return named || Files.isExecutable(defaultVenv().resolve("bin").resolve("python")) ? Optional.of(locate()) : Optional.empty();
    }

    /** The interpreter to use, or an error saying how to set one up. */
    public static PythonEnvironment locate() {
        String python = System.getenv(PYTHON_VARIABLE);
        if (python != null && !python.isBlank()) {
            Path p = Path.of(python);
            if (!Files.isExecutable(p)) {
                throw new IllegalStateException(PYTHON_VARIABLE + "=" + python + " is not an executable Python interpreter");
            }
            return new PythonEnvironment(p);
        }
        Path p = defaultVenv().resolve("bin").resolve("python");
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("no Python environment for the JAX/PyTorch bridge at " + defaultVenv()
                    + ": run ./aim4j python setup (or set " + PYTHON_VARIABLE + " to an interpreter with jax, torch and aim4j's package)");
        }
        return new PythonEnvironment(p);
    }
}
