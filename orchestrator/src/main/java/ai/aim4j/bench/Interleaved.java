package ai.aim4j.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Side-by-side timing that takes turns: every contestant warms up, then each round times {@code steps}
 * calls of aim4j and then of every peer (fewer of a contestant whose calls outlast the round's seconds).
 * On a shared machine a slow spell lasts seconds to minutes; taking turns spreads it over every
 * contestant instead of letting it fall on whichever ran then, and the median over rounds drops the
 * round it hit.
 */
public final class Interleaved {
    private Interleaved() {}

    /**
     * How a run is timed.
     *
     * @param warmup  untimed calls per contestant before the first round (and {@code warmupSeconds} of them)
     * @param warmupSeconds the least seconds of untimed calls ({@link Timing#WARMUP_SECONDS} in the benchmarks)
     * @param steps   timed calls per contestant in a round
     * @param roundSeconds the seconds after which a contestant's round ends early ({@link Contestant#time})
     * @param rounds  rounds; each row is the median of its rounds' medians
     */
    public record Schedule(int warmup, double warmupSeconds, int steps, double roundSeconds, int rounds) {
        /**
         * A schedule of the benchmarks, with their {@link Timing#WARMUP_SECONDS} and
         * {@link Timing#ROUND_SECONDS}; an error line for a bad count.
         */
        public Schedule(int warmup, int steps, int rounds) {
            this(warmup, Timing.WARMUP_SECONDS, steps, Timing.ROUND_SECONDS, rounds);
        }

        public Schedule {
            if (warmup < 0 || steps < 1 || rounds < 1) {
                throw new IllegalArgumentException("the warm-up must be at least 0 steps, the timed steps and the rounds at least 1; got "
                        + warmup + ", " + steps + " and " + rounds);
            }
        }
    }

    /**
     * The contenders' rows, in the contestants' order: per contestant the median of its rounds' medians,
     * the least and greatest call, the first call's seconds; or why it did not run (in the warm-up or
     * any round, after which it sits out).
     */
    public static List<Contender> measure(List<? extends Contestant> contestants, Schedule s) {
        int n = contestants.size();
        double[] first = new double[n];
        String[] unavailable = new String[n];
        for (int i = 0; i < n; i++) {
            try {
                first[i] = contestants.get(i).warmUp(s.warmup(), s.warmupSeconds());
            } catch (Contestant.Unavailable e) {
                unavailable[i] = e.getMessage();
            }
        }
        List<List<Double>> medians = new ArrayList<>();
        double[] min = new double[n];
        double[] max = new double[n];
        Arrays.fill(min, Double.POSITIVE_INFINITY);
        for (int i = 0; i < n; i++) {
            medians.add(new ArrayList<>());
        }
        for (int r = 0; r < s.rounds(); r++) {
            for (int i = 0; i < n; i++) {
                if (unavailable[i] != null) {
                    continue;
                }
                try {
                    double[] t = contestants.get(i).time(s.steps(), s.roundSeconds());
                    medians.get(i).add(Timing.median(Arrays.stream(t).boxed().toList()));
                    min[i] = Math.min(min[i], Arrays.stream(t).min().orElseThrow());
                    max[i] = Math.max(max[i], Arrays.stream(t).max().orElseThrow());
                } catch (Contestant.Unavailable e) {
                    unavailable[i] = e.getMessage();
                }
            }
        }
        List<Contender> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Contestant c = contestants.get(i);
            rows.add(unavailable[i] != null ? Contender.unavailable(c.name(), c.precision(), unavailable[i])
                    : Contender.timed(c.name(), c.precision(), Timing.median(medians.get(i)), min[i], max[i], first[i]));
        }
        return rows;
    }
}
