package ai.aim4j.cli;

import ai.aim4j.dist.MpiRun;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * {@code aim4j launch}: one aim4j command on several processes under Open MPI's {@code mpirun}, each
 * process a rank of one job. Each rank runs this same JVM with the same flags and class path, so a
 * job on several machines needs aim4j at the same path on each.
 */
@Command(name = "launch", mixinStandardHelpOptions = true,
        description = "Run an aim4j command (pretrain, features, probe, eval) as a job of N processes under Open MPI's mpirun:"
                + " data-parallel training and sharded evaluation. Plain 'mpirun -np N ./aim4j ...' and 'srun --mpi=pmix' work too.")
final class LaunchCommand implements Callable<Integer> {
    /** The commands that split their work over ranks; any other would run N times over the same files. */
    static final Set<String> DISTRIBUTED = Set.of("pretrain", "features", "probe", "eval");
    /** mpirun's exit code for a rank killed by a signal: 128 plus the signal's number. */
    private static final int SIGNALLED = 128;

    @Mixin
    JobOptions job;

    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "the aim4j command and its arguments")
    List<String> command;

    @Override
    public Integer call() throws Exception {
        if (!DISTRIBUTED.contains(command.getFirst())) {
            throw new IllegalArgumentException("aim4j " + command.getFirst() + " runs as one process; launch runs " + String.join(", ",
                    DISTRIBUTED.stream().sorted().toList()));
        }
        int threads = job.threads();
        if (!MpiRun.installed()) {
            throw new IllegalStateException("aim4j launch needs Open MPI's mpirun, which is not on the PATH: install it (Debian and"
                    + " Ubuntu: apt install openmpi-bin libopenmpi-dev)");
        }
        Process mpirun = new ProcessBuilder(MpiRun.command(job.nproc, job.hosts, threads, RankCommand.of(threads, command))).inheritIO().start();
        Thread stop = new Thread(mpirun::destroy);
        Runtime.getRuntime().addShutdownHook(stop);
        int code = mpirun.waitFor();
        Runtime.getRuntime().removeShutdownHook(stop);
        if (code > SIGNALLED) {
            // A rank killed by a signal cannot say so itself, and mpirun (told to be quiet) does not either.
            throw new IllegalStateException("a rank of the job was killed by signal " + (code - SIGNALLED) + " (mpirun exit " + code
                    + "); the job stopped");
        }
        return code;
    }
}
