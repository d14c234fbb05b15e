package ai.aim4j.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A folder appears whole or not at all, and replaces an existing one only once it is complete. */
class AtomicFoldersTest {
    @TempDir
    Path dir;

    private List<Path> entries() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    @Test
    void aFolderIsWrittenAndThenReplacedWhole() throws IOException {
        Path target = dir.resolve("out");
        AtomicFolders.write(target, f -> AtomicFiles.writeString(f.resolve("a.txt"), "first"));
        AtomicFolders.write(target, f -> AtomicFiles.writeString(f.resolve("b.txt"), "second"));
        assertEquals(List.of(target), entries(), "no temporary or replaced folder is left");
        try (Stream<Path> s = Files.list(target)) {
            assertEquals(List.of(target.resolve("b.txt")), s.toList(), "the old folder's files went with it");
        }
        assertEquals("second", Files.readString(target.resolve("b.txt")));
    }

    @Test
    void aFailedWriteLeavesTheOldFolderAndNothingElse() throws IOException {
        Path target = dir.resolve("out");
        AtomicFolders.write(target, f -> AtomicFiles.writeString(f.resolve("a.txt"), "first"));
        IOException e = assertThrows(IOException.class, () -> AtomicFolders.write(target, f -> {
            AtomicFiles.writeString(f.resolve("half.txt"), "half");
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals(List.of(target), entries());
        assertEquals("first", Files.readString(target.resolve("a.txt")));
        assertFalse(Files.exists(target.resolve("half.txt")));
    }
}
