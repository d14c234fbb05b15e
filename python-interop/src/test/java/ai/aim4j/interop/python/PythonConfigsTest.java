package ai.aim4j.interop.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python configs evaluate to their dict, each in a child JVM of its own: nothing leaks from one file to
 * the next, and a config that allocates or loops without end is stopped there, with one line naming the
 * file, without touching this JVM's memory and without leaving a process behind. The sandbox's rules
 * themselves are tested in-process by {@link ConfigSandboxTest}.
 */
class PythonConfigsTest {
    @TempDir
    Path dir;

    private Path config(String body) throws IOException {
        Path f = dir.resolve("exp_" + Math.abs(body.hashCode()) + ".py");
        Files.writeString(f, body);
        return f;
    }

    @Test
    void evaluatesGetConfigWithComputationAndAllowedImports() throws IOException {
        Path f = config("""
                import math
                def get_config():
                    width = 64 * 3
                    return {"embed_dim": width, "num_blocks": 2 + 1, "num_heads": width // 64,
                            "img_size": [28, 28], "patch_size": [4, 4], "lr": math.sqrt(1e-6), "name": "aim\u00e9"}
                """);
        String json = PythonConfigs.evaluateToJson(f);
        assertTrue(json.contains("\"embed_dim\": 192"), json);
        assertTrue(json.contains("\"num_heads\": 3"), json);
        assertTrue(json.contains("\"lr\": 0.001"), json);
        assertTrue(json.contains("\"name\": \"aim\\u00e9\""), json);
    }

    @Test
    void stopsAConfigThatAllocatesWithoutBoundAtTheMemoryCapAndSparesTheCaller() throws IOException {
        Path f = config("x = []\nwhile True:\n    x.append('a' * 10**6)\n");
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(pool -> pool.getType() == MemoryType.HEAP).toList();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        long usedBefore = heap.stream().mapToLong(pool -> pool.getUsage().getUsed()).sum();
        long start = System.nanoTime();
        PythonConfigException e = assertThrows(PythonConfigException.class, () -> PythonConfigs.evaluateToJson(f));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertEquals(f + ": the config exceeded the 512 MB memory limit of its evaluation", e.getMessage());
        assertTrue(took.compareTo(PythonConfigs.TIME_LIMIT) < 0, took.toString());
        // The peak, not the heap after: a collection would hide an allocation made in this JVM and freed.
        long grown = heap.stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum() - usedBefore;
        assertTrue(grown < 256L << 20, "this JVM's heap grew by " + (grown >> 20) + " MB");
        assertNoChildProcessLeft();
    }

    @Test
    void stopsAnEndlessConfigAtTheTimeLimitAndLeavesNoProcess() throws IOException {
        Path f = config("def get_config():\n    while True:\n        pass\n");
        Duration limit = Duration.ofSeconds(5);
        long start = System.nanoTime();
        PythonConfigException e = assertThrows(PythonConfigException.class,
                () -> new ChildJvmEvaluator(limit, PythonConfigs.MEMORY_LIMIT_MB).evaluateToJson(f));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertEquals(f + ": the config's evaluation exceeded its time limit of 5 s and was stopped", e.getMessage());
        assertTrue(took.compareTo(limit) >= 0 && took.compareTo(limit.plusSeconds(5)) < 0, took.toString());
        assertNoChildProcessLeft();
    }

    @Test
    void reportsAForbiddenOperationInOneLineNamingTheFileAndRunsNothing() throws IOException {
        Path marker = dir.resolve("marker");
        Path f = config("import typing\ndef get_config():\n    typing.sys.modules['os'].system('touch " + marker + "')\n"
                + "    return {}\n");
        PythonConfigException e = assertThrows(PythonConfigException.class, () -> PythonConfigs.evaluateToJson(f));
        assertTrue(e.getMessage().startsWith(f + ": Python error: "), e.getMessage());
        assertTrue(e.getMessage().contains("Process creation is not allowed"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertFalse(Files.exists(marker));
    }

    @Test
    void reportsAnEvaluationProcessThatCannotStartInOneLine() throws IOException {
        Path f = config("def get_config():\n    return {}\n");
        PythonConfigException e = assertThrows(PythonConfigException.class,
                () -> new ChildJvmEvaluator(PythonConfigs.TIME_LIMIT, 1).evaluateToJson(f));
        assertTrue(e.getMessage().startsWith(f + ": its evaluation process failed with exit status 1 ("), e.getMessage());
        assertTrue(e.getMessage().contains("heap"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void reportsAMissingFileWithoutStartingAnEvaluation() {
        Path missing = dir.resolve("missing.py");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> PythonConfigs.evaluateToJson(missing));
        assertEquals(missing.toString(), e.getMessage());
    }

    private static void assertNoChildProcessLeft() {
        assertEquals(0, ProcessHandle.current().descendants().filter(ProcessHandle::isAlive).count());
    }
}
