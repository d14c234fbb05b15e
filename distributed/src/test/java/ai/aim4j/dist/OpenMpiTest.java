package ai.aim4j.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Open MPI's collectives through FFM, in a real job of three processes started by mpirun. */
class OpenMpiTest {
    @Test
    void threeRanksAgreeOnEverySum() throws IOException, InterruptedException {
        List<String> java = List.of(ProcessHandle.current().info().command().orElse("java"), "--enable-native-access=ALL-UNNAMED",
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), CollectivesCheck.class.getName());
        Process p = new ProcessBuilder(MpiRun.command(3, List.of(), 1, java)).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the job did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        List<String> lines = new ArrayList<>(out.lines().filter(l -> l.startsWith("rank ")).sorted().toList());
        assertEquals(3, lines.size(), out);
        for (int r = 0; r < 3; r++) {
            // floats: (0 + 1 + 2) + 3 x (i mod 7): 3 at i = 0, and 3 + 3 x 3 = 12 at i = 3,000,000 (mod 7 = 3).
            String toLead = r == 0 ? "6 011222" : (r + 1) + " ";
            assertEquals("rank " + r + " of 3 local " + r + " floats 3.0,12.0 doubles [3.0, 1.5] longs [3, 3298534883328] buckets 156 right"
                    + " to lead " + toLead + " gathered [0, 10, 20] texts rank 0 rank 1! rank 2!!", lines.get(r));
        }
    }

    @Test
    void ranksWithoutAnMpiLauncherAreRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Jobs.join(Map.of("RANK", "1", "WORLD_SIZE", "2")));
        assertTrue(e.getMessage().contains("needs one") && e.getMessage().contains("torchrun"), e.getMessage());
        assertEquals(1, Jobs.join(Map.of()).world());
        assertEquals(1, Jobs.join(Map.of("RANK", "0", "WORLD_SIZE", "1")).world());
    }
}
