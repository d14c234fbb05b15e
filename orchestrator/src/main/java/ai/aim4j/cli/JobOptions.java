package ai.aim4j.cli;

import ai.aim4j.run.Counts;
import java.util.List;
import picocli.CommandLine.Option;

/** The shape of a job of several processes, as {@code launch} and {@code bench allreduce} take it. */
final class JobOptions {
    @Option(names = "--nproc", required = true, description = "processes (ranks) in the job")
    int nproc;

    @Option(names = "--hosts", split = ",", description = "machines as host:slots,... (default: this machine only, over shared memory)")
    List<String> hosts = List.of();

    @Option(names = "--threads-per-rank", description = "compute threads of each rank (default on one machine: its cores / --nproc)")
    Integer threadsPerRank;

    /**
     * Threads per rank: as asked, else on one machine its cores shared out, else (other machines' cores
     * unknown) the JVM's own. Checks the job's flags first: mpirun, told to be quiet, would fail on a
     * bad host list without a word.
     */
    int threads() {
        Counts.atLeast("--nproc", nproc, 1);
        long slots = 0;
        for (String h : hosts) {
            int colon = h.lastIndexOf(':');
            if (colon < 1 || !h.substring(colon + 1).matches("[1-9][0-9]{0,5}")) {
                throw new IllegalArgumentException("--hosts: '" + h + "' is not host:slots (a machine and how many ranks it takes, e.g. node1:4)");
            }
            slots += Integer.parseInt(h.substring(colon + 1));
        }
        if (!hosts.isEmpty() && slots < nproc) {
            throw new IllegalArgumentException("--hosts offer " + slots + " slots, fewer than --nproc " + nproc);
        }
        if (threadsPerRank != null) {
            Counts.atLeast("--threads-per-rank", threadsPerRank, 1);
        }
        return threadsPerRank != null ? threadsPerRank : hosts.isEmpty() ? Math.max(1, Runtime.getRuntime().availableProcessors() / nproc) : 0;
    }
}
