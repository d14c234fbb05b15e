package ai.aim4j.reproduce;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The reproduction's targets: the paper's two findings in numbers, the margins over both baselines,
 * and the time budget. The quick run counts its own two (time, margin over the random trunk); the
 * others are still measured and shown.
 */
final class Targets {
    private Targets() {}

    static List<Target> evaluate(Findings f) {
        ReproducePlan plan = f.plan();
        boolean full = !plan.quick();
        List<Target> t = new ArrayList<>();
        double[] losses = f.runs().stream().mapToDouble(r -> r.last().valLoss()).toArray();
        boolean ordered = true;
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < losses.length; i++) {
            ordered &= i == 0 || losses[i] < losses[i - 1];
            shown.add(String.format(Locale.ROOT, "%.4f", losses[i]));
        }
        t.add(new Target("Larger models reach lower final validation loss", "strictly ordered by size", String.join(" > ", shown), ordered,
                full));
        double rho = f.correlation();
        t.add(new Target("Validation loss tracks probe accuracy (Spearman, all " + f.checkpoints().size() + " checkpoints)", "<= -0.80",
                String.format(Locale.ROOT, "%.3f", rho), rho <= -0.8, full));
        Results.Probe largest = f.finals().getLast();
        double margin = 100 * (largest.testTop1() - f.random().testTop1());
        double need = full ? 5 : 2;
        t.add(new Target("Pre-trained beats the random trunk (" + ReproducePlan.sizeName(largest.width()) + ", final probes)",
                String.format(Locale.ROOT, ">= %.0f points", need), String.format(Locale.ROOT, "%+.2f points (%s vs %s)", margin,
                Report.pct(largest.testTop1()), Report.pct(f.random().testTop1())), margin >= need, true));
        Results.Probe best = f.bestFinal();
        t.add(new Target("Best probe beats raw-pixel softmax regression", "> " + Report.pct(f.pixels().testTop1()),
                Report.pct(best.testTop1()) + " (" + ReproducePlan.sizeName(best.width()) + ")", best.testTop1() > f.pixels().testTop1(), full));
        double minutes = f.workSeconds() / 60;
        double limit = full ? 90 : 8;
        t.add(new Target((full ? "Full" : "Quick") + " run time on this machine", String.format(Locale.ROOT, "<= %.0f min", limit),
                String.format(Locale.ROOT, "%.1f min", minutes), minutes <= limit, true));
        return t;
    }
}
