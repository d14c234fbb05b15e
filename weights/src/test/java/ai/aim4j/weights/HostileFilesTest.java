package ai.aim4j.weights;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.sun.management.ThreadMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every file of {@link HostileFiles} is refused with an IOException naming the file and the problem,
 * in well under a second, without allocating anything near what the file declares.
 */
class HostileFilesTest {
    /**
     * The hostile files hold at most half a MiB of pickle; unpickling that much (200,000 nested lists
     * at worst) takes some 13 MiB of objects, while the sizes the files declare run from 100 MiB to
     * terabytes.
     */
    private static final long MAX_ALLOCATED_BYTES = 32L << 20;

    /** Refusing needs no more than the file's directory and pickle: milliseconds, with ample slack for a loaded machine. */
    private static final long MAX_MILLIS = 1000;

    @TempDir
    Path dir;

    @TestFactory
    Stream<DynamicTest> everyHostileFileIsRefusedQuicklyAndCheaply() throws IOException {
        return HostileFiles.writeAll(dir).stream().map(c -> dynamicTest(c.name(), () -> assertRefused(c)));
    }

    private static void assertRefused(HostileFiles.Case c) throws IOException {
        assertTrue(Files.size(c.file()) < 1 << 20, "a hostile file should be small: " + Files.size(c.file()));
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocatedBefore = threads.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> WeightFiles.read(c.file()).close());
        long millis = (System.nanoTime() - start) / 1_000_000;
        long allocated = threads.getCurrentThreadAllocatedBytes() - allocatedBefore;
        String msg = e.getMessage();
        assertTrue(msg.startsWith(c.file().toString()), msg);
        assertTrue(msg.contains(c.problem()), "expected '" + c.problem() + "' in: " + msg);
        assertTrue(msg.lines().count() == 1, "one line: " + msg);
        assertTrue(millis < MAX_MILLIS, c.name() + " took " + millis + " ms");
        assertTrue(allocated < MAX_ALLOCATED_BYTES, c.name() + " allocated " + (allocated >> 20) + " MiB");
        System.out.printf("%-32s refused in %4d ms, %6d KiB allocated: %s%n", c.name(), millis, allocated >> 10,
                msg.substring(c.file().toString().length() + 2));
    }
}
