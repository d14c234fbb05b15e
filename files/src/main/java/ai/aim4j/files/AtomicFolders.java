package ai.aim4j.files;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The one way aim4j writes a folder as a whole: into a fresh temporary sibling, then renamed into
 * place. A reader never sees a half-written folder, and a failure leaves the previous one intact.
 */
public final class AtomicFolders {

    /** Fills a new, empty folder. Files in it should be written with {@link AtomicFiles}, which syncs them. */
    @FunctionalInterface
    public interface FolderWriter {
        void write(Path folder) throws IOException;
    }

    private AtomicFolders() {}

    /**
     * Writes {@code target} atomically: the writer fills a temporary folder beside it, which then takes
     * its name. An existing {@code target} is moved aside first and deleted only once the new folder is
     * in place. On any failure the temporary folder is removed and {@code target} is left as it was.
     */
    public static void write(Path target, FolderWriter writer) throws IOException {
        Path absolute = target.toAbsolutePath().normalize();
        Path parent = absolute.getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + absolute.getFileName() + ".");
        Path replaced = null;
        boolean done = false;
        try {
            // Temporary folders are created owner-only; the result should read like any other output.
            if (Files.getFileStore(tmp).supportsFileAttributeView("posix")) {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            writer.write(tmp);
            if (Files.exists(absolute)) {
                replaced = parent.resolve("." + absolute.getFileName() + ".replaced");
                FileTrees.delete(replaced);
                move(absolute, replaced);
            }
            move(tmp, absolute);
            AtomicFiles.syncDirectory(parent);
            done = true;
        } finally {
            if (!done) {
                FileTrees.delete(tmp);
                if (replaced != null && !Files.exists(absolute)) {
                    move(replaced, absolute);
                }
            }
        }
        if (replaced != null) {
            FileTrees.delete(replaced);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to);
        }
    }
}
