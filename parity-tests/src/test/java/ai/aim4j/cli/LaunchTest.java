package ai.aim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code aim4j launch} and the commands refuse what cannot work, each in one line. */
class LaunchTest {
    /** Runs aim4j in a child JVM with extra environment; returns its exit code and output. */
    private static CliRun child(Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ChildJvm.aim4j("256m", List.of(args))).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new CliRun(p.exitValue(), out, "");
    }

    @Test
    void withoutOpenMpiLaunchNamesThePackagesToInstall() throws Exception {
        CliRun r = child(Map.of("PATH", "/nonexistent"), "launch", "--nproc", "2", "pretrain", "--data", "d", "--model", "m", "--out", "o",
                "--steps", "1");
        assertEquals(1, r.code(), r.out());
        assertEquals(1, r.out().lines().count(), r.out());
        assertTrue(r.out().contains("openmpi-bin") && r.out().contains("mpirun"), r.out());
    }

    @Test
    void onlyTheCommandsThatSplitTheirWorkRunOnRanks() throws Exception {
        CliRun launch = CliRun.of("launch", "--nproc", "2", "shard", "--from", "synthetic:10", "--out", "x");
        assertEquals(1, launch.code());
        assertTrue(launch.err().contains("aim4j shard runs as one process"), launch.err());
        // A rank of an Open MPI job (as mpirun would start it) asked to shard refuses before touching anything.
        CliRun rank = child(Map.of("OMPI_COMM_WORLD_SIZE", "2", "OMPI_COMM_WORLD_RANK", "1"), "shard", "--from", "synthetic:10", "--out", "x");
        assertEquals(1, rank.code(), rank.out());
        assertTrue(rank.out().strip().equals("aim4j: error: aim4j shard runs as one process, not as one of 2 ranks; the commands that run"
                + " on several are eval, features, pretrain, probe"), rank.out());
    }

    @Test
    void aBadHostListIsRefusedInOneLine() {
        CliRun format = CliRun.of("launch", "--nproc", "2", "--hosts", "localhost:x", "eval", "--data", "d");
        assertEquals(1, format.code());
        assertEquals("aim4j: error: --hosts: 'localhost:x' is not host:slots (a machine and how many ranks it takes, e.g. node1:4)",
                format.err().strip());
        CliRun few = CliRun.of("launch", "--nproc", "5", "--hosts", "a:2,b:2", "eval", "--data", "d");
        assertEquals(1, few.code());
        assertEquals("aim4j: error: --hosts offer 4 slots, fewer than --nproc 5", few.err().strip());
    }

    /** A rank killed by a signal says nothing itself, and mpirun is told to be quiet: launch says it (an mpirun that exits as such a job does). */
    @Test
    void aRankKilledBySignalIsReportedInOneLine(@TempDir Path dir) throws Exception {
        Path mpirun = dir.resolve("mpirun");
        Files.writeString(mpirun, "#!/bin/sh\nexit 137\n");
        assertTrue(mpirun.toFile().setExecutable(true));
        CliRun r = child(Map.of("PATH", dir + ":" + System.getenv("PATH")), "launch", "--nproc", "2", "eval", "--data", "d");
        assertEquals(1, r.code(), r.out());
        assertEquals("aim4j: error: a rank of the job was killed by signal 9 (mpirun exit 137); the job stopped", r.out().strip());
    }

    @Test
    void ranksStartedWithoutAnMpiLauncherAreRefused() throws Exception {
        CliRun r = child(Map.of("RANK", "0", "WORLD_SIZE", "4"), "pretrain", "--data", "d", "--model", "m", "--out", "o", "--steps", "1");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.out().contains("no MPI launcher started it") && r.out().contains("torchrun"), r.out());
    }
}
