package ai.aim4j.reproduce;

import ai.aim4j.files.FileTrees;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which worker does which unit of a reproduction run side by side: a worker takes a unit by
 * creating its file in {@code DIR/claims}, which the file system lets exactly one of them do. The
 * claims of an earlier invocation are cleared before its workers start: a unit that was taken but
 * not finished (its result is not stored) is simply taken again, and resumes where it stopped.
 */
final class Claims {
    private final Path dir;

    Claims(Path dir) {
        this.dir = dir;
    }

    /** Forgets every claim (only while no worker runs). */
    void clear() throws IOException {
        FileTrees.delete(dir);
    }

    /** Whether this worker takes {@code unit}: true for exactly one of the workers that ask. */
    boolean take(String unit) throws IOException {
        Files.createDirectories(dir);
        try {
            Files.createFile(dir.resolve(unit));
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        }
    }
}
