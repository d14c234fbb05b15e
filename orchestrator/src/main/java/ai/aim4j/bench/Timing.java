package ai.aim4j.bench;

import java.util.Arrays;
import java.util.List;

/** Wall-clock timing of repeated work, reported as the median (robust on shared, noisy machines). */
public final class Timing {
    private Timing() {}

    /**
     * How long the untimed calls before a side-by-side contender's timed ones last at least: the JVM
     * compiles the hot paths of aim4j's calls over their first thousands of operations (a batch-1
     * forward pass ran 11% faster after 100 untimed passes than after 3), and the peers get the same.
     */
    public static final double WARMUP_SECONDS = 2;

    /**
     * How long a side-by-side contender's timed calls of one round may take before it stops early
     * (after {@link #LEAST_TIMED_CALLS}): some peers are tens of times slower than the rest (JAX's
     * bf16 training steps take 3-10 s each on CPU), and timing them as long as the others would make
     * a benchmark run for tens of minutes without changing its verdict.
     */
    public static final double ROUND_SECONDS = 30;

    /** Timed calls a contender makes in a round however long they take (fewer only when fewer are asked for). */
    public static final int LEAST_TIMED_CALLS = 3;

    /**
     * Runs {@code warmup} untimed then {@code iters} timed calls; returns {median, min, max} seconds
     * of the timed calls and the seconds of the very first call (lazy initialization included).
     */
    public static double[] median(int warmup, int iters, Runnable work) {
        return median(warmup, 0, iters, work);
    }

    /** As {@link #median(int, int, Runnable)}, the untimed calls going on until {@code warmupSeconds} have passed as well. */
    public static double[] median(int warmup, double warmupSeconds, int iters, Runnable work) {
        double first = warmUp(warmup, warmupSeconds, work);
        double[] t = times(Math.max(iters, 1), work);
        Arrays.sort(t);
        return new double[] {middle(t), t[0], t[t.length - 1], Double.isNaN(first) ? t[0] : first};
    }

    /**
     * Untimed calls, at least {@code calls} of them and for at least {@code seconds}; the seconds of the
     * first one, NaN when there was none.
     */
    public static double warmUp(int calls, double seconds, Runnable work) {
        double first = Double.NaN;
        long begin = System.nanoTime();
        for (int i = 0; i < calls || (System.nanoTime() - begin) / 1e9 < seconds; i++) {
            long start = System.nanoTime();
            work.run();
            first = i == 0 ? (System.nanoTime() - start) / 1e9 : first;
        }
        return first;
    }

    /** The seconds of each of {@code calls} calls. */
    public static double[] times(int calls, Runnable work) {
        return times(calls, Double.POSITIVE_INFINITY, work);
    }

    /**
     * The seconds of each of up to {@code calls} calls, ending early once {@code seconds} have passed
     * and {@link #LEAST_TIMED_CALLS} (or {@code calls}, if fewer) are done.
     */
    public static double[] times(int calls, double seconds, Runnable work) {
        double[] t = new double[calls];
        long begin = System.nanoTime();
        int done = 0;
        while (done < calls && (done < Math.min(calls, LEAST_TIMED_CALLS) || (System.nanoTime() - begin) / 1e9 < seconds)) {
            long start = System.nanoTime();
            work.run();
            t[done++] = (System.nanoTime() - start) / 1e9;
        }
        return Arrays.copyOf(t, done);
    }

    /** The median of some values. */
    public static double median(List<Double> values) {
        double[] t = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return middle(t);
    }

    private static double middle(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
