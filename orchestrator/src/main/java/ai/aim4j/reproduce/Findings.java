package ai.aim4j.reproduce;

import ai.aim4j.report.Spearman;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Comparator;
import java.util.List;

/**
 * The results of a reproduction, as its steps stored them, and the figures derived from them.
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
record Findings(ReproducePlan plan, ObjectNode data, List<ObjectNode> runs, List<ObjectNode> checkpoints, List<ObjectNode> finals,
                ObjectNode random, ObjectNode pixels, double sessionSeconds) {

    /** The Spearman correlation of validation loss and probe accuracy over every checkpoint. */
    double correlation() {
        return Spearman.correlation(checkpoints.stream().mapToDouble(c -> c.get("val_loss").asDouble()).toArray(),
                checkpoints.stream().mapToDouble(c -> c.get("test_top1").asDouble()).toArray());
    }

    /** Seconds of work in every step (pre-training as its runs logged it, resumed parts counted once). */
    double workSeconds() {
        double s = data.path("seconds").asDouble() + random.get("seconds").asDouble() + pixels.get("seconds").asDouble();
        for (List<ObjectNode> part : List.of(runs, checkpoints, finals)) {
            s += part.stream().mapToDouble(r -> r.get("seconds").asDouble()).sum();
        }
        return s;
    }

    /** The validation loss of a run's last checkpoint. */
    static double finalValLoss(JsonNode run) {
        JsonNode cps = run.get("checkpoints");
        return cps.get(cps.size() - 1).get("val_loss").asDouble();
    }

    /** The final probe with the highest test accuracy. */
    ObjectNode bestFinal() {
        return finals.stream().max(Comparator.comparingDouble(f -> f.get("test_top1").asDouble())).orElseThrow();
    }
}
