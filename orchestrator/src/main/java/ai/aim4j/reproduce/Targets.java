package ai.aim4j.reproduce;

import ai.aim4j.report.Interval;
import ai.aim4j.report.SpearmanBootstrap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The reproduction's targets, judged on the means over seeds and their 95% intervals: the paper's
 * two findings, the margins over both baselines, the data-scaling finding (when the plan has it)
 * and the time budget. The quick run counts its own two (time, mean margin over the random trunk);
 * the others are still measured and shown. A target that needs an interval fails with one seed.
 */
final class Targets {
    /** Wall time of the full run on the 2-core machine, minutes. */
    static final double FULL_MINUTES = 180;
    /** Wall time of the quick run, minutes. */
    static final double QUICK_MINUTES = 8;
    /** Spearman bars: the point estimate and the bootstrap interval's upper bound. */
    static final double RHO = -0.8;
    static final double RHO_UPPER = -0.6;
    /** Pre-trained minus random trunk, points: the mean and the interval's lower bound (full run); the quick run's mean. */
    static final double RANDOM_MARGIN = 5;
    static final double RANDOM_MARGIN_LOW = 3;
    static final double QUICK_RANDOM_MARGIN = 2;

    private Targets() {}

    static List<Target> evaluate(Findings f) {
        boolean full = !f.plan().quick();
        List<Target> t = new ArrayList<>();
        t.add(lossOrder(f, full));
        t.add(correlation(f, full));
        t.add(randomMargin(f, full));
        t.add(pixelMargin(f, full));
        if (!f.dataScaling().isEmpty()) {
            t.add(dataOrder(f, "Final validation loss falls as the pre-training data grows", "strictly decreasing with the images",
                    d -> d.run().last().valLoss(), -1, "%.4f", full));
            t.add(dataOrder(f, "Final probe accuracy rises as the pre-training data grows", "strictly increasing with the images",
                    d -> 100 * d.probe().testTop1(), 1, "%.2f%%", full));
        }
        double minutes = f.wall().seconds() / 60;
        double limit = full ? FULL_MINUTES : QUICK_MINUTES;
        t.add(new Target((full ? "Full" : "Quick") + " run time on this machine", String.format(Locale.ROOT, "<= %.0f min", limit),
                String.format(Locale.ROOT, "%.1f min", minutes), minutes <= limit, true));
        return t;
    }

    private static Target lossOrder(Findings f, boolean full) {
        boolean pass = true;
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < f.plan().widths().size(); i++) {
            Interval loss = f.finalLoss(i);
            shown.add(Report.interval(loss, "%.4f"));
            if (i > 0) {
                Interval smaller = f.finalLoss(i - 1);
                pass &= loss.defined() && loss.mean() < smaller.mean() && loss.high() < smaller.low();
            }
        }
        return new Target("Larger models reach lower final validation loss (mean of " + f.trials().size() + " seeds, 95% intervals)",
                "strictly ordered by size, neighbours' intervals apart", String.join(" > ", shown), pass, full);
    }

    private static Target correlation(Findings f, boolean full) {
        double rho = f.correlation();
        SpearmanBootstrap.Result ci = f.correlationInterval();
        return new Target("Validation loss tracks probe accuracy (Spearman, all " + f.checkpointProbes().size()
                + " checkpoints of every seed; 95% bootstrap interval)", String.format(Locale.ROOT, "<= %.2f, upper bound <= %.2f", RHO, RHO_UPPER),
                String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", rho, ci.low(), ci.high()), rho <= RHO && ci.high() <= RHO_UPPER, full);
    }

    private static Target randomMargin(Findings f, boolean full) {
        Interval m = f.randomMargin();
        boolean pass = full ? m.defined() && 100 * m.mean() >= RANDOM_MARGIN && 100 * m.low() >= RANDOM_MARGIN_LOW
                : 100 * m.mean() >= QUICK_RANDOM_MARGIN;
        String bar = full ? String.format(Locale.ROOT, ">= %.0f points, lower bound >= %.0f", RANDOM_MARGIN, RANDOM_MARGIN_LOW)
                : String.format(Locale.ROOT, ">= %.0f points (mean)", QUICK_RANDOM_MARGIN);
        return new Target("Pre-trained beats the random trunk (" + ReproducePlan.sizeName(f.plan().widths().getLast())
                + ", final probes, paired by seed)", bar, Report.points(m) + " (" + Report.interval(f.finalProbe(f.plan().widths().size() - 1))
                + " vs " + Report.interval(f.random()) + ")", pass, true);
    }

    private static Target pixelMargin(Findings f, boolean full) {
        Interval m = f.pixelMargin();
        int best = f.bestSize();
        return new Target("Best probe beats raw-pixel softmax regression (paired by seed)", "by more than its interval's half-width"
                + " (lower bound > 0)", Report.points(m) + " (" + ReproducePlan.sizeName(f.plan().widths().get(best)) + " "
                + Report.interval(f.finalProbe(best)) + " vs " + Report.interval(f.pixels()) + ")", m.defined() && m.low() > 0, full);
    }

    /** Whether {@code number} of the data-scaling points moves strictly in {@code direction} (+1 up, -1 down) as the images grow. */
    private static Target dataOrder(Findings f, String name, String bar, ToDoubleFunction<Findings.DataPoint> number, int direction,
                                    String format, boolean full) {
        boolean pass = true;
        List<String> shown = new ArrayList<>();
        List<Findings.DataPoint> points = f.dataScaling();
        for (int i = 0; i < points.size(); i++) {
            double v = number.applyAsDouble(points.get(i));
            shown.add(String.format(Locale.ROOT, "%,d: " + format, points.get(i).images(), v));
            if (i > 0) {
                pass &= Math.signum(v - number.applyAsDouble(points.get(i - 1))) == direction;
            }
        }
        return new Target(name + " (" + ReproducePlan.sizeName(f.plan().widths().getLast()) + ", seed " + f.plan().seed() + ")", bar,
                String.join(direction < 0 ? " > " : " < ", shown), pass, full);
    }
}
