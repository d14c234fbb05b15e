package ai.aim4j.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.aim4j.interop.worker.PythonEnvironment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Python side of the orbax tests, {@code orbax_check.py}: orbax and flax themselves saving
 * checkpoints and comparing restored trees, in aim4j's Python environment. A missing environment
 * fails the test with the message that says how to make one ({@code ./aim4j python setup}).
 */
public final class OrbaxScript {
    /** Importing jax and orbax takes a few seconds; this allows for a loaded machine. */
    private static final long TIMEOUT_SECONDS = 180;

    private OrbaxScript() {}

    /** Saves the tree of a flax msgpack file as orbax checkpoints; {@code layoutsAndDirs}: plain|chunked|zarr3|ocdbt, DIR, ... */
    public static void save(Path msgpack, Path work, String... layoutsAndDirs) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("save", msgpack.toString()));
        args.addAll(List.of(layoutsAndDirs));
        run(work, args);
    }

    /** The script's {@code SAME DIR LEAVES BYTES} or {@code DIFF DIR reason} line for each checkpoint restored by orbax. */
    public static List<String> compare(Path msgpack, Path work, Path... dirs) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("compare", msgpack.toString()));
        for (Path d : dirs) {
            args.add(d.toString());
        }
        return run(work, args);
    }

    private static List<String> run(Path work, List<String> args) throws IOException, InterruptedException {
        Path script = work.resolve("orbax_check.py");
        try (InputStream in = OrbaxScript.class.getResourceAsStream("/orbax_check.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        List<String> command = new ArrayList<>(List.of(script.toString()));
        command.addAll(args);
        Path out = work.resolve("orbax_check.out");
        Path err = work.resolve("orbax_check.err");
        Process p = PythonEnvironment.locate().process(command)
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("orbax_check.py " + args.getFirst() + " did not finish in " + TIMEOUT_SECONDS + " s");
        }
        List<String> lines = Files.readAllLines(out);
        assertEquals(0, p.exitValue(), () -> "orbax_check.py " + String.join(" ", args) + "\n" + String.join("\n", lines) + "\n" + tail(err));
        return lines;
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no stderr: " + e.getMessage() + ")";
        }
    }
}
