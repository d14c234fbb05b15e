package ai.aim4j.reproduce;

import ai.aim4j.report.Spearman;
import java.util.Comparator;
import java.util.List;

/**
 * The results of a reproduction, as its steps stored them, and the numbers derived from them.
 *
 * @param plan           what was run
 * @param data           the data step (its three parts)
 * @param runs           one pre-training run per size, smallest first, each with its checkpoints
 * @param checkpoints    the probe of every checkpoint of every size
 * @param finals         the final probe of each size's last checkpoint, smallest first
 * @param random         the random-trunk baseline (largest size)
 * @param pixels         the raw-pixel baseline
 * @param sessionSeconds wall time of this invocation
 */
record Findings(ReproducePlan plan, Results.Data data, List<Results.Run> runs, List<Results.Probe> checkpoints, List<Results.Probe> finals,
                Results.Probe random, Results.Probe pixels, double sessionSeconds) {

    /** The Spearman correlation of validation loss and probe accuracy over every checkpoint. */
    double correlation() {
        return Spearman.correlation(checkpoints.stream().mapToDouble(Results.Probe::valLoss).toArray(),
                checkpoints.stream().mapToDouble(Results.Probe::testTop1).toArray());
    }

    /** Seconds of work in every step (pre-training as its runs logged it, resumed parts counted once). */
    double workSeconds() {
        double s = data.seconds() + random.seconds() + pixels.seconds() + runs.stream().mapToDouble(Results.Run::seconds).sum();
        for (List<Results.Probe> part : List.of(checkpoints, finals)) {
            s += part.stream().mapToDouble(Results.Probe::seconds).sum();
        }
        return s;
    }

    /** The final probe with the highest test accuracy. */
    Results.Probe bestFinal() {
        return finals.stream().max(Comparator.comparingDouble(Results.Probe::testTop1)).orElseThrow();
    }
}
