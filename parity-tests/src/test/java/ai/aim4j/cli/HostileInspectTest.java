package ai.aim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import ai.aim4j.interop.pickle.PickleBuilder;
import ai.aim4j.weights.HostileFiles;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code aim4j inspect} on hostile and oversized weights files, each in a child JVM with a small heap
 * as a user would run it: exit code 1, one {@code aim4j: error:} line naming the file, no stack trace,
 * a few seconds of wall time, and little memory beyond what the JVM takes to print its help.
 */
class HostileInspectTest {
    /** A heap far below what any hostile file declares (terabytes), ample for the command itself. */
    private static final String HEAP = "256m";

    /**
     * Starting a JVM and the command line takes about a second here; refusing a file adds
     * milliseconds. The bound leaves room for a machine shared with other builds.
     */
    private static final long MAX_WALL_MILLIS = 5_000;

    /**
     * What refusing may add to the peak resident memory of {@code inspect --help}: the largest hostile
     * pickle (half a MB) unpickles into some 15 MB of objects, where the files declare 100 MiB to terabytes.
     */
    private static final long MAX_EXTRA_RSS_KIB = 32 << 10;

    /**
     * The peak any refusal must stay under, 100 MB, checked wherever the bare command line leaves at
     * least 10 MB of room below it (it takes about 85 MB here).
     */
    private static final long MAX_PEAK_RSS_KIB = 100_000_000 / 1024;
    private static final long ROOM_KIB = 10_000_000 / 1024;

    @TempDir
    static Path dir;

    private static Run help;

    /** One finished child JVM. */
    private record Run(int code, List<String> out, List<String> err, long wallMillis, long peakRssKib) {}

    @BeforeAll
    static void measureTheBareCommandLine() throws IOException, InterruptedException {
        help = run(HEAP, classPath(), "inspect", "--help");
        assertEquals(0, help.code(), String.join("\n", help.err()));
        System.out.printf("inspect --help: %d ms, peak RSS %d MiB%n", help.wallMillis(), help.peakRssKib() >> 10);
    }

    @TestFactory
    Stream<DynamicTest> inspectRefusesEveryHostileFileInOneLine() throws IOException {
        return HostileFiles.writeAll(dir).stream().map(c -> dynamicTest(c.name(), () -> {
            Run r = assertOneErrorLine(run(HEAP, classPath(), "inspect", c.file().toString()), c.file().toString());
            assertTrue(r.err().getFirst().contains(c.problem()), r.err().getFirst());
            assertTrue(r.wallMillis() < MAX_WALL_MILLIS, c.name() + " took " + r.wallMillis() + " ms");
            if (help.peakRssKib() > 0) {
                long extra = r.peakRssKib() - help.peakRssKib();
                assertTrue(extra < MAX_EXTRA_RSS_KIB, c.name() + " peaked " + (extra >> 10) + " MiB above inspect --help");
                if (help.peakRssKib() < MAX_PEAK_RSS_KIB - ROOM_KIB) {
                    assertTrue(r.peakRssKib() < MAX_PEAK_RSS_KIB, c.name() + " peaked at " + r.peakRssKib() + " KiB");
                }
            }
            System.out.printf("%-30s %5d ms, peak RSS %4d MiB (%+d MiB over --help)%n", c.name(), r.wallMillis(),
                    r.peakRssKib() >> 10, (r.peakRssKib() - help.peakRssKib()) >> 10);
        }));
    }

    @TestFactory
    Stream<DynamicTest> aFileLargerThanTheHeapIsAnErrorLineNotACrash() throws IOException {
        // 64 MiB of honest data against a 32 MiB heap, a cap that also holds for the native memory of laid-out views.
        return HostileFiles.writeOversized(dir).stream().map(c -> dynamicTest(c.name(), () -> {
            Run r = assertOneErrorLine(run("32m", classPath(), "inspect", c.file().toString()), c.file().toString());
            assertTrue(r.err().getFirst().contains(c.problem()), r.err().getFirst());
        }));
    }

    @Test
    void anErrorThrownInsideACommandIsOneLineToo() throws IOException, InterruptedException {
        // An incomplete installation: the zip library is missing, so reading a .pth throws NoClassDefFoundError.
        Path f = dir.resolve("fine.pth");
        PickleBuilder.writeCheckpoint(f, new PickleBuilder().proto(2).emptyOrderedDict()
                .str("w").tensor("0", 1, 0, new long[] {1}, new long[] {1}).op('s').stop(), Map.of("0", PickleBuilder.floats(1)));
        String withoutZip = Arrays.stream(classPath().split(File.pathSeparator)).filter(p -> !p.contains("commons-compress"))
                .collect(Collectors.joining(File.pathSeparator));
        Run r = assertOneErrorLine(run(HEAP, withoutZip, "inspect", f.toString()), "commons/compress");
        assertTrue(r.err().getFirst().contains("NoClassDefFoundError"), r.err().getFirst());
    }

    private static Run assertOneErrorLine(Run r, String mentioned) {
        String err = String.join("\n", r.err());
        assertEquals(1, r.code(), err);
        assertEquals(1, r.err().size(), "exactly one line on stderr:\n" + err);
        assertTrue(r.err().getFirst().startsWith("aim4j: error: "), err);
        assertTrue(r.err().getFirst().contains(mentioned), err);
        assertFalse(err.contains("\tat ") || err.contains("Exception in thread"), "no stack trace:\n" + err);
        return r;
    }

    /** The full test class path (surefire may hand the JVM a manifest-only jar instead). */
    private static String classPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    private static Run run(String heap, String classPath, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        // The project's JVM flags, as the launcher passes them (surefire hands them over as a property).
        Arrays.stream(System.getProperty("aim4j.jvm.flags", "").split("\\s+")).filter(f -> !f.isBlank()).forEach(cmd::add);
        cmd.addAll(List.of("-Xmx" + heap, "-cp", classPath, PeakRss.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("aim4j " + String.join(" ", args) + " did not finish in a minute");
        }
        long wall = (System.nanoTime() - start) / 1_000_000;
        List<String> stdout = Files.readAllLines(out);
        long rss = stdout.stream().filter(l -> l.startsWith(PeakRss.PREFIX))
                .mapToLong(l -> Long.parseLong(l.substring(PeakRss.PREFIX.length()))).findFirst().orElse(-1);
        List<String> stderr = Files.readAllLines(err).stream().filter(l -> !l.isBlank()).toList();
        return new Run(p.exitValue(), stdout, stderr, wall, rss);
    }
}
