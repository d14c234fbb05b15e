package ai.aim4j.reproduce;

import ai.aim4j.report.Interval;
import ai.aim4j.report.Spearman;
import ai.aim4j.report.SpearmanBootstrap;
import java.util.List;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;

/**
 * The results of a reproduction, as its steps stored them, and the numbers derived from them: the
 * means over seeds with their 95% t-intervals, the margins over the baselines (paired by seed), and
 * the Spearman correlation over every checkpoint of every seed with its bootstrap interval.
 *
 * @param plan        what was run
 * @param data        the data step (its parts and subsets)
 * @param trials      one per seed, first seed first
 * @param dataScaling the data-scaling study, fewest images first (empty when the plan has none)
 * @param wall        the wall time of every invocation that worked on it
 */
record Findings(ReproducePlan plan, Results.Data data, List<Trial> trials, List<DataPoint> dataScaling, WallClock.Total wall) {

    /**
     * Everything one seed produced.
     *
     * @param seed        the seed
     * @param runs        one pre-training run per size, smallest first
     * @param checkpoints the probe of every checkpoint of every size
     * @param finals      the final probe of each size's last checkpoint, smallest first
     * @param random      the random-trunk baseline (largest size, initialized with this seed)
     * @param pixels      the raw-pixel baseline
     */
    record Trial(long seed, List<Results.Run> runs, List<Results.Probe> checkpoints, List<Results.Probe> finals, Results.Probe random,
                 Results.Probe pixels) {}

    /**
     * One point of the data-scaling study: the largest size pre-trained with the first seed on
     * {@code images} training images, and its final probe.
     */
    record DataPoint(long images, Results.Run run, Results.Probe probe) {}

    /** The mean and interval over seeds of one number of each trial. */
    Interval interval(ToDoubleFunction<Trial> number) {
        return Interval.of(trials.stream().mapToDouble(number).toArray());
    }

    /** Final validation loss of size {@code size} (index, smallest first). */
    Interval finalLoss(int size) {
        return interval(t -> t.runs().get(size).last().valLoss());
    }

    /** Validation loss of size {@code size} at its checkpoint {@code checkpoint} (index). */
    Interval checkpointLoss(int size, int checkpoint) {
        return interval(t -> t.runs().get(size).checkpoints().get(checkpoint).valLoss());
    }

    /** Final probe accuracy (fraction) of size {@code size}. */
    Interval finalProbe(int size) {
        return interval(t -> t.finals().get(size).testTop1());
    }

    Interval random() {
        return interval(t -> t.random().testTop1());
    }

    Interval pixels() {
        return interval(t -> t.pixels().testTop1());
    }

    /** The largest size's final probe minus the random trunk's, seed by seed (fraction). */
    Interval randomMargin() {
        return interval(t -> t.finals().getLast().testTop1() - t.random().testTop1());
    }

    /** The size with the best mean final probe (index). */
    int bestSize() {
        return IntStream.range(0, plan.widths().size()).boxed()
                .max((a, b) -> Double.compare(finalProbe(a).mean(), finalProbe(b).mean())).orElseThrow();
    }

    /** The best size's final probe minus the raw-pixel baseline, seed by seed (fraction). */
    Interval pixelMargin() {
        int best = bestSize();
        return interval(t -> t.finals().get(best).testTop1() - t.pixels().testTop1());
    }

    /** The probes of every checkpoint of every size and seed. */
    List<Results.Probe> checkpointProbes() {
        return trials.stream().flatMap(t -> t.checkpoints().stream()).toList();
    }

    /** The Spearman correlation of validation loss and probe accuracy over every checkpoint of every seed. */
    double correlation() {
        List<Results.Probe> c = checkpointProbes();
        return Spearman.correlation(c.stream().mapToDouble(Results.Probe::valLoss).toArray(),
                c.stream().mapToDouble(Results.Probe::testTop1).toArray());
    }

    /** The 95% bootstrap interval of {@link #correlation()}, resampling the checkpoints of all seeds (seeded by the plan). */
    SpearmanBootstrap.Result correlationInterval() {
        List<Results.Probe> c = checkpointProbes();
        return SpearmanBootstrap.interval(c.stream().mapToDouble(Results.Probe::valLoss).toArray(),
                c.stream().mapToDouble(Results.Probe::testTop1).toArray(), plan.bootstrap(), Interval.CONFIDENCE, plan.seed());
    }

    /** The data-scaling points that have runs of their own (the whole training part reuses the first seed's run). */
    List<DataPoint> ownDataRuns() {
        return dataScaling.stream().filter(d -> d.images() < plan.trainImages()).toList();
    }

    /**
     * Seconds of work in every step (pre-training as its runs logged it, resumed parts counted once):
     * more than the wall time when workers ran side by side.
     */
    double workSeconds() {
        double s = data.seconds();
        for (Trial t : trials) {
            s += t.random().seconds() + t.pixels().seconds() + t.runs().stream().mapToDouble(Results.Run::seconds).sum();
            s += t.checkpoints().stream().mapToDouble(Results.Probe::seconds).sum() + t.finals().stream().mapToDouble(Results.Probe::seconds).sum();
        }
        return s + ownDataRuns().stream().mapToDouble(d -> d.run().seconds() + d.probe().seconds()).sum();
    }
}
