package ai.aim4j.reproduce;

import ai.aim4j.report.Charts;
import ai.aim4j.train.MetricsLog;
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
        for (Results.Run r : f.runs()) {
            List<Double> steps = r.checkpoints().stream().map(c -> (double) c.step()).toList();
            List<Double> losses = r.checkpoints().stream().map(Results.Checkpoint::valLoss).toList();
            val.put(r.name(), new Charts.Series(steps, losses, Charts.Style.LINE_AND_POINTS));
            train.put(r.name(), smoothedTrainingLoss(Path.of(r.run()), f.plan().steps()));
            List<Results.Probe> own = f.checkpoints().stream().filter(c -> c.width() == r.width()).toList();
            scatter.put(r.name(), new Charts.Series(own.stream().map(Results.Probe::valLoss).toList(),
                    own.stream().map(c -> 100 * c.testTop1()).toList(), Charts.Style.POINTS));
        }
        Charts.plot(figs.resolve("validation-loss.png"), "Validation loss (fixed prefixes) during pre-training", "step", "validation loss",
                val, false);
        Charts.plot(figs.resolve("training-loss.png"), "Training loss (moving average)", "step", "training loss", train, false);
        Charts.plot(figs.resolve("loss-vs-probe.png"), String.format(Locale.ROOT, "Every checkpoint: Spearman %.3f", f.correlation()),
                "validation loss", "probe top-1 (%, checkpoint protocol)", scatter, false);
        List<Double> params = f.runs().stream().map(r -> (double) r.params()).toList();
        List<Double> ends = List.of(params.getFirst(), params.getLast());
        SequencedMap<String, Charts.Series> scaling = new LinkedHashMap<>();
        scaling.put("pre-trained (final checkpoint)", new Charts.Series(params,
                f.finals().stream().map(x -> 100 * x.testTop1()).toList(), Charts.Style.LINE_AND_POINTS));
        scaling.put("random trunk (" + ReproducePlan.sizeName(f.plan().widths().getLast()) + ")", level(ends, f.random()));
        scaling.put("raw pixels", level(ends, f.pixels()));
        Charts.plot(figs.resolve("probe-vs-params.png"), "Final probe top-1 on the test split against trunk size", "trunk parameters (log)",
                "top-1 (%)", scaling, true);
    }

    private static Charts.Series level(List<Double> x, Results.Probe result) {
        double v = 100 * result.testTop1();
        return new Charts.Series(x, List.of(v, v), Charts.Style.DASHED);
    }

    /** Per-step training loss averaged over a window of 2% of the run (at least 5 steps). */
    private static Charts.Series smoothedTrainingLoss(Path run, long steps) throws IOException {
        List<MetricsLog.Step> lines = new MetricsLog(run.resolve("metrics.jsonl")).read();
        int window = (int) Math.max(5, steps / 50);
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        double sum = 0;
        for (int i = 0; i < lines.size(); i++) {
            sum += lines.get(i).loss();
            if (i >= window) {
                sum -= lines.get(i - window).loss();
            }
            if (i >= window - 1) {
                x.add((double) lines.get(i).step());
                y.add(sum / window);
            }
        }
        return new Charts.Series(x, y, Charts.Style.LINE);
    }
}
