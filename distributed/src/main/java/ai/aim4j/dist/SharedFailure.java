package ai.aim4j.dist;

/**
 * A failure every rank of the job raises at the same point, from values they all share (a global
 * loss, a checksum they compared, a decision of the lead's): the ranks end together, the lead
 * reports it once, and nothing needs aborting. A failure of one rank alone is any other exception.
 */
public class SharedFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SharedFailure(String message) {
        super(message);
    }

    /** The shared form of {@code cause}, which the rank that raised it reports. */
    public SharedFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
