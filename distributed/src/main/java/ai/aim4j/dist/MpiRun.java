package ai.aim4j.dist;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code mpirun} command line that starts a program on several processes the way aim4j's ranks
 * need: no binding to one core each ({@code --bind-to none}: a rank runs its own threads), on one
 * machine as many ranks as asked, with shared memory between them; {@code UCX_ERROR_SIGNALS} empty
 * (UCX would otherwise take over the signals the JVM relies on); each rank's thread count; and root
 * allowed where the job runs as root (containers).
 */
public final class MpiRun {
    /** The launcher of Open MPI, as Debian's {@code openmpi-bin} installs it. */
    public static final String MPIRUN = "mpirun";

    private MpiRun() {}

    /**
     * @param hosts          {@code host:slots} entries; empty for this machine only
     * @param threadsPerRank threads each rank's engine uses; 0 leaves the default
     */
    public static List<String> command(int processes, List<String> hosts, int threadsPerRank, List<String> program) {
        if (processes < 1) {
            throw new IllegalArgumentException("--nproc must be at least 1");
        }
        // --quiet: a failing rank reports itself in one line; mpirun's own multi-line notices would bury it.
        List<String> cmd = new ArrayList<>(List.of(MPIRUN, "-np", Integer.toString(processes), "--bind-to", "none", "--quiet"));
        if (isRoot()) {
            cmd.add("--allow-run-as-root");
        }
        if (hosts.isEmpty()) {
            // One machine: as many ranks as asked whatever its cores, shared memory between them, no network transport.
            cmd.addAll(List.of("--oversubscribe", "--mca", "btl", "self,vader"));
        } else {
            cmd.addAll(List.of("--host", String.join(",", hosts)));
        }
        cmd.addAll(List.of("-x", "UCX_ERROR_SIGNALS="));
        if (threadsPerRank > 0) {
            cmd.addAll(List.of("-x", "OMP_NUM_THREADS=" + threadsPerRank, "-x", "MKL_NUM_THREADS=" + threadsPerRank));
        }
        cmd.addAll(program);
        return cmd;
    }

    /** Whether Open MPI's launcher is on the path. */
    public static boolean installed() {
        return onPath(MPIRUN);
    }

    /** Whether a program of that name is on the path. */
    public static boolean onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
