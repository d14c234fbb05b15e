package ai.aim4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --profile}: where a benchmark writes libtorch's profile of aim4j's timed work. */
final class ProfileOption {
    @Option(names = "--profile", description = "a folder for libtorch's profile of one more round of aim4j's calls (--steps or --iters),"
            + " for each geometry or batch and each precision (Chrome trace files, for Perfetto); the heaviest operators and matrix-product"
            + " shapes are printed after each table")
    Path folder;

    /**
     * The folder, made if need be before the benchmark runs, or null when not asked for.
     *
     * @throws IllegalArgumentException when the path is not a folder or cannot be made one
     */
    Path folder() {
        if (folder == null) {
            return null;
        }
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new IllegalArgumentException("--profile " + folder + ": not a folder");
        }
        try {
            return Files.createDirectories(folder);
        } catch (IOException e) {
            throw new IllegalArgumentException("--profile " + folder + ": cannot make the folder: " + Main.describe(e));
        }
    }
}
