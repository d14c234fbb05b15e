package ai.aim4j.interop.worker;

import ai.aim4j.files.FileTrees;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A private folder in shared memory ({@code /dev/shm/aim4j-<jvm pid>-<random>}; the temporary folder
 * where there is no {@code /dev/shm}) for the files this JVM exchanges with its Python workers.
 * Creating one first removes the folders of JVMs that are gone, so even a JVM killed before it could
 * clean up leaves nothing behind for long.
 */
public final class SharedMemoryFolder implements AutoCloseable {
    private static final Pattern NAME = Pattern.compile("aim4j-(\\d+)-[0-9a-f]{16}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path path;

    private SharedMemoryFolder(Path path) {
        this.path = path;
    }

    /** Where the folders go: {@code /dev/shm}, or the temporary folder where it is missing. */
    public static Path root() {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** A new folder of this JVM's, readable by its owner only. */
    public static SharedMemoryFolder create() throws IOException {
        Path root = root();
        sweepStale(root);
        byte[] random = new byte[8];
        RANDOM.nextBytes(random);
        Path dir = root.resolve("aim4j-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(random));
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return new SharedMemoryFolder(dir);
    }

    /**
     * Removes the folders under {@code root} whose JVM is no longer running, returning how many. A
     * folder whose pid has been reused by another process stays until that process ends.
     */
    public static int sweepStale(Path root) throws IOException {
        int removed = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root, "aim4j-*")) {
            for (Path entry : entries) {
                Matcher m = NAME.matcher(entry.getFileName().toString());
                if (m.matches() && Files.isDirectory(entry) && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                    try {
                        FileTrees.delete(entry);
                        removed++;
                    } catch (IOException e) {
                        // another user's folder, or one removed under us: not ours to insist on
                    }
                }
            }
        }
        return removed;
    }

    public Path path() {
        return path;
    }

    /** Removes the folder and everything in it. */
    @Override
    public void close() throws IOException {
        FileTrees.delete(path);
    }
}
