package ai.aim4j.interop.python;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * Experiment configs written in Python ({@code exp.py} defining {@code get_config()} that returns a
 * dict, as big_vision and other JAX projects do). Each file is evaluated on its own, in a child JVM
 * with a capped heap and a time limit, by GraalPy in a sandbox: no file, host class, process, thread,
 * environment or native access, and only a short list of pure-computation modules importable. Nothing
 * one file does is seen by the next; each evaluation takes a few seconds (JVM and GraalPy start).
 */
public final class PythonConfigs {
    /** Modules a config may import: pure computation, nothing that reaches outside the process. */
    public static final Set<String> ALLOWED_IMPORTS = Set.of("math", "json", "functools", "itertools", "collections",
            "dataclasses", "typing", "copy", "re", "enum", "fractions", "decimal", "operator", "string");
    /** Wall time allowed for one evaluation, the child JVM's start included. */
    static final Duration TIME_LIMIT = Duration.ofSeconds(60);
    /**
     * Heap of the JVM that evaluates a config. GraalPy's context needs about 64 MB of it and a config is a
     * few lines building a dict, so 512 MB is ample, and a runaway allocation ends there instead of taking
     * gigabytes from the machine.
     */
    static final int MEMORY_LIMIT_MB = 512;

    private static final ChildJvmEvaluator EVALUATOR = new ChildJvmEvaluator(TIME_LIMIT, MEMORY_LIMIT_MB);

    private PythonConfigs() {}

    /**
     * Evaluates {@code file}'s {@code get_config()} and returns the dict as JSON text.
     *
     * @throws PythonConfigException the config failed, did something the sandbox forbids, or exceeded the
     *     memory or time limit; the message is one line naming the file
     * @throws IOException the file does not exist, or the evaluation could not be run
     */
    public static String evaluateToJson(Path file) throws IOException {
        return EVALUATOR.evaluateToJson(file);
    }
}
