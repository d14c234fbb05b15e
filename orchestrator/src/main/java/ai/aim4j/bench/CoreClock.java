package ai.aim4j.bench;

/**
 * The clock a busy core runs at, measured: a chain of dependent 64-bit {@code x = x * x + c} steps,
 * each an integer multiply (3 cycles of latency on x86-64 cores since AMD Zen and Intel Nehalem) and
 * an add (1 cycle), so 4 cycles a step whatever the pipeline width. The square keeps the compiler from
 * folding the chain into a closed form, as it can with a linear recurrence.
 */
public final class CoreClock {
    private static final long CYCLES_PER_STEP = 4;
    private static final long STEPS = 50_000_000;
    /** Where each chain's result goes, so the chain is not dead code. */
    private static volatile long sink;

    private CoreClock() {}

    /** GHz of the fastest of several runs (the first ones run before the JIT has compiled the loop). */
    public static double measureGhz() {
        double best = 0;
        for (int run = 0; run < 6; run++) {
            long start = System.nanoTime();
            sink = chain(run, STEPS);
            best = Math.max(best, CYCLES_PER_STEP * STEPS / ((System.nanoTime() - start) / 1e9) / 1e9);
        }
        return best;
    }

    private static long chain(long x, long steps) {
        for (long i = 0; i < steps; i++) {
            x = x * x + 0x9E3779B97F4A7C15L;
        }
        return x;
    }
}
