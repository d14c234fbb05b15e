package ai.aim4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.run.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A peer process that hangs instead of dying: stopped once it has been silent past its deadline, its
 * modes unavailable with that reason, so that the benchmark goes on. The "interpreter" is a script
 * that answers nothing after (or before) its first line.
 */
@Timeout(60) // without the deadline a read waits for the script's 600 s sleep
class PeerDeadlineTest {
    private static final Duration DEADLINE = Duration.ofSeconds(2);

    private static PeerProcess start(Path dir, String script) throws Exception {
        Path python = dir.resolve("python");
        Files.writeString(python, "#!/bin/sh\n" + script + "exec sleep 600\n");
        assertTrue(python.toFile().setExecutable(true));
        return PeerProcess.start(PythonEnvironment.of(python), "torch", "train", dir.resolve("config.json"), 1, 1, dir.resolve("torch.log"),
                DEADLINE);
    }

    @Test
    void aPeerSilentAfterItsFirstLineIsStoppedAndItsModesSitOut(@TempDir Path dir) throws Exception {
        try (PeerProcess p = start(dir, "echo '{\"version\": \"0\"}'\n")) {
            assertEquals("torch 0", p.version());
            Contestant eager = p.mode("torch eager", "eager", Precision.FP32);
            long t0 = System.nanoTime();
            Contestant.Unavailable e = assertThrows(Contestant.Unavailable.class, () -> eager.warmUp(1, 0));
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertEquals("torch process gave no answer within 2 s and was stopped", e.getMessage());
            assertTrue(seconds >= 2 && seconds < 15, seconds + " s");
            Contestant sdpa = p.mode("torch sdpa", "sdpa", Precision.FP32);
            assertEquals(e.getMessage(), assertThrows(Contestant.Unavailable.class, () -> sdpa.time(1, 1)).getMessage(), "every mode sits out");
        }
    }

    @Test
    void aPeerThatNeverStartsAnsweringIsStoppedToo(@TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        try (PeerProcess p = start(dir, "")) {
            assertTrue((System.nanoTime() - t0) / 1e9 < 15);
            Contestant eager = p.mode("torch eager", "eager", Precision.FP32);
            assertEquals("torch process gave no answer within 2 s and was stopped",
                    assertThrows(Contestant.Unavailable.class, () -> eager.warmUp(1, 0)).getMessage());
        }
    }
}
