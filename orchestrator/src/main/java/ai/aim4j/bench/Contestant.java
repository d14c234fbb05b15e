package ai.aim4j.bench;

import ai.aim4j.run.Precision;

/**
 * One implementation in a side-by-side benchmark that takes turns ({@link Interleaved}): aim4j in this
 * process, or a PyTorch or JAX mode in its Python process ({@link PythonPeers}).
 */
public interface Contestant {
    /** The row's name: {@code aim4j}, or {@code framework mode}. */
    String name();

    /** The precision it computes in; its row is compared with the best peer of that precision. */
    Precision precision();

    /**
     * Untimed calls, at least {@code calls} of them and for at least {@code seconds}.
     *
     * @return the seconds of the very first call (lazy initialization and compilation included)
     * @throws Unavailable when it cannot run here
     */
    double warmUp(int calls, double seconds) throws Unavailable;

    /**
     * The seconds of each of up to {@code calls} timed calls, fewer when {@code seconds} have passed
     * after {@link Timing#LEAST_TIMED_CALLS} of them ({@link Timing#times(int, double, Runnable)}).
     *
     * @throws Unavailable when it stopped running
     */
    double[] time(int calls, double seconds) throws Unavailable;

    /** Why a contestant cannot run here (say torch.compile without a C++ compiler, or a dead peer process). */
    final class Unavailable extends Exception {
        /** @param why one line */
        public Unavailable(String why) {
            super(why);
        }
    }
}
