package ai.aim4j.interop.worker;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Makes the bridge's environment: a virtual environment with {@code requirements.txt}'s pins and
 * this checkout's {@code aim4j} package installed editable, through pip with the user's own
 * configuration (indexes, {@code PIP_*} variables). Re-running on a ready environment is quick: pip
 * finds every pin satisfied.
 */
public final class PythonSetup {
    /** The interpreter that creates a new environment. */
    public static final String BASE_PYTHON = "python3";
    /** jax 0.10, flax 0.12 and orbax-checkpoint 0.12 need Python 3.11 or newer. */
    static final int MINIMUM_MINOR = 11;
    /** pip's whole output, inside the environment it set up. */
    public static final String LOG = "aim4j-setup.log";

    private PythonSetup() {}

    /**
     * The environment at {@code venv}: reused when its interpreter runs pip, else (made again) with
     * {@value #BASE_PYTHON}. A folder that holds something else is refused.
     */
    public static PythonEnvironment createOrReuse(Path venv, Consumer<String> progress) throws IOException {
        PythonEnvironment env = new PythonEnvironment(venv.resolve("bin").resolve("python"));
        if (Files.isExecutable(env.python()) && succeeds(List.of(env.python().toString(), "-m", "pip", "--version"))) {
            progress.accept("updating the virtual environment " + venv);
            return env;
        }
        if (Files.isDirectory(venv) && !Files.exists(venv.resolve("pyvenv.cfg"))) {
            try (Stream<Path> entries = Files.list(venv)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException(venv + ": exists and is not a virtual environment; choose another --venv or empty it");
                }
            }
        }
        String version = run(List.of(BASE_PYTHON, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"),
                "run " + BASE_PYTHON + " (install Python 3." + MINIMUM_MINOR + " or newer, or pass --python)").strip();
        String[] parts = version.split("\\.");
        if (Integer.parseInt(parts[0]) < 3 || Integer.parseInt(parts[0]) == 3 && Integer.parseInt(parts[1]) < MINIMUM_MINOR) {
            throw new IOException(BASE_PYTHON + " is Python " + version + "; jax and flax need 3." + MINIMUM_MINOR
                    + " or newer (put a newer python3 first on PATH, or pass --python)");
        }
        progress.accept("creating the virtual environment " + venv + " (" + BASE_PYTHON + " " + version + ")");
        // --clear: an environment whose creation was interrupted (no pip) is made again from scratch.
        run(List.of(BASE_PYTHON, "-m", "venv", "--clear", venv.toString()),
                "create the virtual environment " + venv + " (on Debian: apt-get install python3-venv)");
        return env;
    }

    /**
     * {@code pip install -r requirements -e <sources>} in {@code env}, pip's whole output in {@code log}
     * and a condensed form in {@code progress}; a failure names the step and the log.
     */
    public static void install(PythonEnvironment env, Path requirements, Path log, Consumer<String> progress) throws IOException {
        List<String> args = List.of("-m", "pip", "install", "--progress-bar", "off", "-r", requirements.toString(),
                "-e", PythonEnvironment.sources().toString());
        progress.accept("pip install -r " + requirements + " -e " + PythonEnvironment.sources() + " (log: " + log + ")");
        ProcessBuilder pb = env.process(args).redirectErrorStream(true);
        Process p = pb.start();
        p.getOutputStream().close();
        PipOutput condensed = new PipOutput();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter full = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8))) {
            full.println("$ " + String.join(" ", pb.command()));
            for (String line; (line = out.readLine()) != null; ) {
                full.println(line);
                full.flush();
                String shown = condensed.condense(line);
                if (shown != null) {
                    progress.accept("  pip: " + shown);
                }
            }
        }
        int code = waitFor(p);
        if (code != 0) {
            throw new IOException("pip install failed (exit " + code + ") in " + env.python() + "; pip's output: " + log);
        }
    }

    /** Runs a short command and returns its output; a failure names {@code step}. */
    private static String run(List<String> command, String step) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("cannot " + step + ": " + e.getMessage(), e);
        }
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int code = waitFor(p);
        if (code != 0) {
            String[] lines = out.strip().split("\n");
            throw new IOException("cannot " + step + ": " + lines[lines.length - 1].strip());
        }
        return out;
    }

    private static boolean succeeds(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return waitFor(p) == 0;
    }

    private static int waitFor(Process p) throws IOException {
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
