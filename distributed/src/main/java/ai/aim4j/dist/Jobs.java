package ai.aim4j.dist;



import java.util.Map;

/**
 * Which job this process belongs to, from what its launcher set: Open MPI's {@code mpirun} (and
 * {@code aim4j launch}) set {@code OMPI_COMM_WORLD_*}, PMIx launchers such as Slurm's
 * {@code srun --mpi=pmix} set {@code PMIX_RANK}; anything else is a job of one process. A launcher
 * that sets ranks without MPI ({@code torchrun}: {@code RANK}, {@code WORLD_SIZE}) is refused rather
 * than silently running every rank as the whole job.
 */
public final class Jobs {
    private Jobs() {}

    /** Joins the job described by this process's environment. */
    public static Collectives join() {
        return join(System.getenv());
    }

    static Collectives join(Map<String, String> env) {
        if (env.containsKey("OMPI_COMM_WORLD_SIZE") || env.containsKey("PMIX_RANK")) {
            return OpenMpi.join(localRank(env));
        }
        int world = declaredWorld(env);
        if (world != 1) {
            throw new IllegalStateException("this process is one of " + world + " ranks (" + (env.containsKey("WORLD_SIZE")
                    ? "RANK and WORLD_SIZE are set, as torchrun does" : "Slurm started several tasks") + ") but no MPI launcher"
                    + " started it: aim4j needs one (aim4j launch --nproc N ..., mpirun -np N ./aim4j ..., or srun --mpi=pmix)");
        }
        return SingleProcess.INSTANCE;
    }

    /** Ranks the launcher says this process's job has (1 when none says), without joining it. */
    public static int declaredWorld() {
        return declaredWorld(System.getenv());
    }

    static int declaredWorld(Map<String, String> env) {
        for (String key : new String[] {"OMPI_COMM_WORLD_SIZE", "WORLD_SIZE", "SLURM_NTASKS"}) {
            String v = env.get(key);
            if (v != null) {
                try {
                    return Integer.parseInt(v.strip());
                } catch (NumberFormatException e) {
                    throw new IllegalStateException(key + "=" + v + " is not a number of processes");
                }
            }
        }
        return 1;
    }

    /** The rank on this machine, as the launcher tells it. */
    static int localRank(Map<String, String> env) {
        for (String key : new String[] {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID", "SLURM_LOCALID"}) {
            String v = env.get(key);
            if (v != null) {
                return Integer.parseInt(v.strip());
            }
        }
        return 0;
    }
}
