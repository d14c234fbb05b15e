package ai.aim4j.interop.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Folders are private to their JVM, and those of JVMs that are gone are swept away, nothing else. */
class SharedMemoryFolderTest {
    @TempDir
    Path root;

    @Test
    void foldersOfJvmsThatAreGoneAreSweptAndNothingElse() throws IOException, InterruptedException {
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path stale = Files.createDirectories(root.resolve("aim4j-" + gone.pid() + "-0123456789abcdef").resolve("inner"));
        Files.writeString(stale.resolve("reply-1.arrow"), "x");
        Path live = Files.createDirectory(root.resolve("aim4j-" + ProcessHandle.current().pid() + "-0123456789abcdef"));
        Path other = Files.createDirectory(root.resolve("aim4j-notes"));

        assertEquals(1, SharedMemoryFolder.sweepStale(root));
        assertFalse(Files.exists(stale.getParent()));
        assertTrue(Files.isDirectory(live));
        assertTrue(Files.isDirectory(other));
    }

    @Test
    void aNewFolderIsOwnerOnlyAndNamedAfterThisJvm() throws IOException {
        Path path;
        try (SharedMemoryFolder folder = SharedMemoryFolder.create()) {
            path = folder.path();
            assertTrue(path.getFileName().toString().matches("aim4j-" + ProcessHandle.current().pid() + "-[0-9a-f]{16}"));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
            Files.writeString(path.resolve("f"), "x");
        }
        assertFalse(Files.exists(path));
    }
}
