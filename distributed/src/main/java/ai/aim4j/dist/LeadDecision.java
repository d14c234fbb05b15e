package ai.aim4j.dist;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A choice the lead rank makes and every rank follows (which checkpoint to resume, say): the lead
 * decides, the others receive its answer, and a lead that fails makes every rank fail alike with
 * its message, so no rank waits for an answer that will not come.
 */
public final class LeadDecision {
    /** The lead's side of a decision; it may fail. */
    @FunctionalInterface
    public interface Choice {
        String decide() throws IOException;
    }

    private LeadDecision() {}

    /** The lead's answer on every rank; a {@link SharedFailure} with its message on every rank when it failed. */
    public static String share(Collectives comm, Choice choice) throws IOException {
        if (comm.world() == 1) {
            return choice.decide();
        }
        String answer = "";
        Exception failed = null;
        if (comm.isLead()) {
            try {
                answer = "=" + choice.decide();
            } catch (IOException | RuntimeException e) {
                failed = e;
                answer = "!" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            }
        }
        String got = new String(comm.allGather(answer.getBytes(StandardCharsets.UTF_8))[0], StandardCharsets.UTF_8);
        if (got.startsWith("!")) {
            throw failed instanceof SharedFailure shared ? shared : new SharedFailure(got.substring(1), failed);
        }
        return got.substring(1);
    }
}
