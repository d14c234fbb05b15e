package ai.aim4j.interop.worker;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
        return Path.of(System.getProperty("aim4j.home", ".")).resolve(".venv");
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

    /** aim4j's Python sources in the checkout, which go first on the path so Python matches this Java code. */
    public static Path pythonSources() {
        return Path.of(System.getProperty("aim4j.home", ".")).resolve("python-interop/src/main/python").toAbsolutePath();
    }

    /** A process running this interpreter with {@code args}, aim4j's Python sources first on {@code PYTHONPATH}. */
    public ProcessBuilder processBuilder(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(python.toString());
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        String inherited = pb.environment().get("PYTHONPATH");
        pb.environment().put("PYTHONPATH", pythonSources() + (inherited == null || inherited.isEmpty() ? "" : File.pathSeparator + inherited));
        return pb;
    }
}
