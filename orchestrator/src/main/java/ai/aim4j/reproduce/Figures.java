package ai.aim4j.reproduce;

import ai.aim4j.report.Charts;
import ai.aim4j.report.Interval;
import ai.aim4j.report.SpearmanBootstrap;
import ai.aim4j.train.MetricsLog;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.SequencedMap;
import java.util.function.IntFunction;
import java.util.stream.IntStream;

/**
 * The report's PNG figures, drawn from the findings with XChart ({@link Charts}); means over seeds
 * carry error bars of their 95% t-intervals (none with one seed).
 */
final class Figures {
    /** File names under {@code DIR/figures} of the two findings, in the order the report shows them. */
    static final List<String> NAMES = List.of("validation-loss", "training-loss", "probe-vs-params", "loss-vs-probe");
    /** The data-scaling figure, drawn when the plan has that study. */
    static final String DATA = "data-scaling";

    private Figures() {}

    static void draw(Findings f, Path figs) throws IOException {
        SequencedMap<String, Charts.Series> val = new LinkedHashMap<>();
        SequencedMap<String, Charts.Series> train = new LinkedHashMap<>();
        SequencedMap<String, Charts.Series> scatter = new LinkedHashMap<>();
        List<Findings.Trial> trials = f.trials();
        for (int i = 0; i < f.plan().widths().size(); i++) {
            int size = i;
            Results.Run first = trials.getFirst().runs().get(size);
            List<Double> steps = first.checkpoints().stream().map(c -> (double) c.step()).toList();
            val.put(first.name(), withErrors(steps, c -> f.checkpointLoss(size, c), false));
            train.put(first.name(), smoothedTrainingLoss(trials.stream().map(t -> Path.of(t.runs().get(size).run())).toList(), f.plan().steps()));
            List<Results.Probe> own = f.checkpointProbes().stream().filter(c -> c.width() == first.width()).toList();
            scatter.put(first.name(), new Charts.Series(own.stream().map(Results.Probe::valLoss).toList(),
                    own.stream().map(c -> 100 * c.testTop1()).toList(), Charts.Style.POINTS));
        }
        String seeds = trials.size() == 1 ? "one seed" : "mean of " + trials.size() + " seeds, 95% intervals";
        Charts.plot(figs.resolve("validation-loss.png"), "Validation loss (fixed prefixes) during pre-training (" + seeds + ")", "step",
                "validation loss", val, false);
        Charts.plot(figs.resolve("training-loss.png"), "Training loss (moving average" + (trials.size() == 1 ? "" : ", mean of seeds") + ")",
                "step", "training loss", train, false);
        SpearmanBootstrap.Result ci = f.correlationInterval();
        Charts.plot(figs.resolve("loss-vs-probe.png"), String.format(Locale.ROOT, "Every checkpoint of every seed: Spearman %.3f [%.3f, %.3f]",
                f.correlation(), ci.low(), ci.high()), "validation loss", "probe top-1 (%, checkpoint protocol)", scatter, false);
        List<Double> params = trials.getFirst().runs().stream().map(r -> (double) r.params()).toList();
        List<Double> ends = List.of(params.getFirst(), params.getLast());
        SequencedMap<String, Charts.Series> scaling = new LinkedHashMap<>();
        scaling.put("pre-trained (final checkpoint)", withErrors(params, f::finalProbe, true));
        scaling.put("random trunk (" + ReproducePlan.sizeName(f.plan().widths().getLast()) + ")", level(ends, f.random()));
        scaling.put("raw pixels", level(ends, f.pixels()));
        Charts.plot(figs.resolve("probe-vs-params.png"), "Final probe top-1 against trunk size (" + seeds + ")", "trunk parameters (log)",
                "top-1 (%)", scaling, true);
        if (!f.dataScaling().isEmpty()) {
            SequencedMap<String, Charts.Series> data = new LinkedHashMap<>();
            for (Findings.DataPoint d : f.dataScaling()) {
                data.put(String.format(Locale.ROOT, "%,d images", d.images()), new Charts.Series(
                        d.run().checkpoints().stream().map(c -> (double) c.step()).toList(),
                        d.run().checkpoints().stream().map(Results.Checkpoint::valLoss).toList(), Charts.Style.LINE_AND_POINTS));
            }
            Charts.plot(figs.resolve(DATA + ".png"), "Validation loss of " + ReproducePlan.sizeName(f.plan().widths().getLast())
                    + " by pre-training images (seed " + f.plan().seed() + ", same steps)", "step", "validation loss", data, false);
        }
    }

    /** Means at {@code x} with their intervals' half-widths as error bars (none with one seed); {@code percent} scales fractions. */
    private static Charts.Series withErrors(List<Double> x, IntFunction<Interval> at, boolean percent) {
        double scale = percent ? 100 : 1;
        List<Interval> in = IntStream.range(0, x.size()).mapToObj(at).toList();
        return new Charts.Series(x, in.stream().map(v -> scale * v.mean()).toList(), Charts.Style.LINE_AND_POINTS,
                in.getFirst().defined() ? in.stream().map(v -> scale * v.halfWidth()).toList() : null);
    }

    private static Charts.Series level(List<Double> x, Interval result) {
        double v = 100 * result.mean();
        return new Charts.Series(x, List.of(v, v), Charts.Style.DASHED);
    }

    /** Per-step training loss, averaged over the runs (seeds), then over a window of 2% of the run (at least 5 steps). */
    private static Charts.Series smoothedTrainingLoss(List<Path> runs, long steps) throws IOException {
        List<List<MetricsLog.Step>> logs = new ArrayList<>();
        for (Path run : runs) {
            logs.add(new MetricsLog(run.resolve("metrics.jsonl")).read());
        }
        int n = logs.stream().mapToInt(List::size).min().orElseThrow();
        int window = (int) Math.max(5, steps / 50);
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        double sum = 0;
        double[] mean = new double[n];
        for (int i = 0; i < n; i++) {
            int step = i;
            mean[i] = logs.stream().mapToDouble(l -> l.get(step).loss()).average().orElseThrow();
            sum += mean[i];
            if (i >= window) {
                sum -= mean[i - window];
            }
            if (i >= window - 1) {
                x.add((double) logs.getFirst().get(i).step());
                y.add(sum / window);
            }
        }
        return new Charts.Series(x, y, Charts.Style.LINE);
    }
}
