package ai.aim4j.cli;

import ai.aim4j.dist.Collectives;
import ai.aim4j.dist.Jobs;
import ai.aim4j.dist.SharedFailure;
import java.io.PrintWriter;

/**
 * Runs a command as one rank of the job its launcher started (a job of one without a launcher), and
 * ends the job the way its failure calls for: a {@link SharedFailure} ends every rank together and
 * the lead reports it once; a failure of this rank alone is reported by it, naming the rank, and
 * aborts the job so that no other rank waits forever for it.
 */
final class Ranks {
    /** A command's work on one rank. */
    @FunctionalInterface
    interface Work {
        int run(Collectives comm) throws Exception;
    }

    /** A failure of one rank, reported with the rank's name. */
    private static final class RankFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RankFailure(Collectives comm, Throwable cause) {
            super("rank " + comm.rank() + " of " + comm.world() + ": " + Main.describe(cause), cause);
        }
    }

    private Ranks() {}

    static int run(Work work) throws Exception {
        Collectives comm = Jobs.join();
        if (comm.world() == 1) {
            return work.run(comm);
        }
        int code;
        try {
            code = work.run(comm);
        } catch (SharedFailure e) {
            if (comm.isLead()) {
                Main.fail(new PrintWriter(System.err, true), e);
            }
            // A launcher ends the job when any rank exits with an error: the lead must have reported first.
            comm.barrier();
            comm.close();
            return 1;
        } catch (Exception | Error e) {
            Main.fail(new PrintWriter(System.err, true), new RankFailure(comm, e));
            comm.abort(1);
            throw e;
        }
        comm.close();
        return code;
    }
}
