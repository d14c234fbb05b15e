package ai.aim4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --profile}: where a benchmark writes libtorch's profile of aim4j's timed work. */
final class ProfileOption {
    @Option(names = "--profile", description = "a folder for libtorch's profile of as many more aim4j calls as are timed, for each"
            + " geometry or batch and each precision (Chrome trace files, for Perfetto); the heaviest operators and matrix-product shapes"
            + " are printed after each table")
    Path folder;

    /**
     * The folder, or null when not asked for.
     *
     * @throws IllegalArgumentException when the path exists and is not a folder
     */
    Path folder() {
        if (folder != null && Files.exists(folder) && !Files.isDirectory(folder)) {
            throw new IllegalArgumentException("--profile " + folder + ": not a folder");
        }
        return folder;
    }
}
