package ai.aim4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.aim4j.interop.worker.PythonEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPUs a Python peer keeps when told to use N threads: the first N of a list that puts one CPU of
 * each physical core ahead of the SMT siblings, read from a sysfs-like topology, so that N threads
 * are N cores whether a machine numbers siblings next to each other or after all the cores.
 */
class PeerCoresTest {
    private static final String ORDER = """
            import sys
            from aim4j.bench_peers import _one_per_core
            print(_one_per_core([int(c) for c in sys.argv[2].split(",")], sys.argv[1]))
            """;

    private static void core(Path root, int cpu, int core) throws Exception {
        Path topology = Files.createDirectories(root.resolve("cpu" + cpu).resolve("topology"));
        Files.writeString(topology.resolve("physical_package_id"), "0\n");
        Files.writeString(topology.resolve("core_id"), core + "\n");
    }

    private static String order(Path root, String cpus) throws Exception {
        Process p = PythonEnvironment.locate().process(List.of("-c", ORDER, root.toString(), cpus)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void siblingsComeAfterOneCpuOfEveryCore(@TempDir Path dir) throws Exception {
        Path adjacent = dir.resolve("adjacent");
        Path apart = dir.resolve("apart");
        for (int cpu = 0; cpu < 4; cpu++) {
            core(adjacent, cpu, cpu / 2); // 0,1 share core 0; 2,3 share core 1
            core(apart, cpu, cpu % 2); // 0,2 share core 0; 1,3 share core 1
        }
        assertEquals("[0, 2, 1, 3]", order(adjacent, "0,1,2,3"));
        assertEquals("[0, 1, 2, 3]", order(apart, "0,1,2,3"));
        assertEquals("[1, 2, 4, 3]", order(adjacent, "1,2,3,4"), "3 shares 2's core; 4 has no topology, a core of its own");
    }
}
