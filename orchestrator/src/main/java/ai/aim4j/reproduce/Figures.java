package ai.aim4j.reproduce;

import ai.aim4j.report.Charts;
import ai.aim4j.train.MetricsLog;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.SequencedMap;

/** The report's PNG figures, drawn from the findings with XChart ({@link Charts}). */
final class Figures {
    /** File names under {@code DIR/figures}, in the order the report shows them. */
    static final List<String> NAMES = List.of("validation-loss", "training-loss", "probe-vs-params", "loss-vs-probe");

    private Figures() {}

    static void draw(Findings f, Path figs) throws IOException {
        SequencedMap<String, Charts.Series> val = new LinkedHashMap<>();
        SequencedMap<String, Charts.Series> train = new LinkedHashMap<>();
        SequencedMap<String, Charts.Series> scatter = new LinkedHashMap<>();
        for (ObjectNode r : f.runs()) {
            String name = r.get("name").asText();
            List<Double> steps = new ArrayList<>();
            List<Double> losses = new ArrayList<>();
            for (JsonNode c : r.get("checkpoints")) {
                steps.add(c.get("step").asDouble());
                losses.add(c.get("val_loss").asDouble());
            }
            val.put(name, new Charts.Series(steps, losses, Charts.Style.LINE_AND_POINTS));
            train.put(name, smoothedTrainingLoss(Path.of(r.get("run").asText()), f.plan().steps()));
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (ObjectNode c : f.checkpoints()) {
                if (c.get("width").asInt() == r.get("width").asInt()) {
                    x.add(c.get("val_loss").asDouble());
                    y.add(100 * c.get("test_top1").asDouble());
                }
            }
            scatter.put(name, new Charts.Series(x, y, Charts.Style.POINTS));
        }
        Charts.plot(figs.resolve("validation-loss.png"), "Validation loss (fixed prefixes) during pre-training", "step", "validation loss",
                val, false);
        Charts.plot(figs.resolve("training-loss.png"), "Training loss (moving average)", "step", "training loss", train, false);
        Charts.plot(figs.resolve("loss-vs-probe.png"), String.format(Locale.ROOT, "Every checkpoint: Spearman %.3f", f.correlation()),
                "validation loss", "probe top-1 (%, checkpoint protocol)", scatter, false);
        List<Double> params = f.runs().stream().map(r -> r.get("params").asDouble()).toList();
        List<Double> ends = List.of(params.getFirst(), params.getLast());
        SequencedMap<String, Charts.Series> scaling = new LinkedHashMap<>();
        scaling.put("pre-trained (final checkpoint)", new Charts.Series(params,
                f.finals().stream().map(x -> 100 * x.get("test_top1").asDouble()).toList(), Charts.Style.LINE_AND_POINTS));
        scaling.put("random trunk (" + ReproducePlan.sizeName(f.plan().widths().getLast()) + ")", level(ends, f.random()));
        scaling.put("raw pixels", level(ends, f.pixels()));
        Charts.plot(figs.resolve("probe-vs-params.png"), "Final probe top-1 on the test split against trunk size", "trunk parameters (log)",
                "top-1 (%)", scaling, true);
    }

    private static Charts.Series level(List<Double> x, JsonNode result) {
        double v = 100 * result.get("test_top1").asDouble();
        return new Charts.Series(x, List.of(v, v), Charts.Style.DASHED);
    }

    /** Per-step training loss averaged over a window of 2% of the run (at least 5 steps). */
    private static Charts.Series smoothedTrainingLoss(Path run, long steps) throws IOException {
        List<JsonNode> lines = new MetricsLog(run.resolve("metrics.jsonl")).read();
        int window = (int) Math.max(5, steps / 50);
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        double sum = 0;
        for (int i = 0; i < lines.size(); i++) {
            sum += lines.get(i).get("loss").asDouble();
            if (i >= window) {
                sum -= lines.get(i - window).get("loss").asDouble();
            }
            if (i >= window - 1) {
                x.add(lines.get(i).get("step").asDouble());
                y.add(sum / window);
            }
        }
        return new Charts.Series(x, y, Charts.Style.LINE);
    }
}
