package ai.aim4j.reproduce;

import ai.aim4j.files.AtomicFiles;
import ai.aim4j.train.CheckpointStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * {@code DIR/report.md}: the two findings with their figures, what was run and why, every number
 * with the command that produced it, the environment with every checkpoint's SHA-256, and the
 * targets as PASS/FAIL at the end.
 */
public final class Report {
    private final Findings f;
    private final Path dir;
    private final String version;

    /** What the report concluded. */
    public record Outcome(Path report, List<Target> targets, String summary) {
        /** Whether every target that counts in this mode holds. */
        public boolean passed() {
            return targets.stream().filter(Target::counts).allMatch(Target::pass);
        }
    }

    Report(Findings findings, Path dir, String version) {
        this.f = findings;
        this.dir = dir;
        this.version = version;
    }

    /** Draws the figures and writes the report; returns the outcome. */
    Outcome write() throws IOException {
        Figures.draw(f, dir.resolve("figures"));
        List<Target> targets = Targets.evaluate(f);
        Outcome outcome = new Outcome(dir.resolve("report.md"), targets, summary(targets));
        ReproducePlan plan = f.plan();
        StringBuilder md = new StringBuilder();
        md.append("# AIM reproduction on ").append(plan.dataset().equals("fmnist") ? "Fashion-MNIST" : "the synthetic dataset")
                .append(plan.quick() ? " (quick)" : "").append("\n\n");
        md.append("**").append(headline(targets, plan.quick())).append("** (the targets are at the end). ").append(plan.widths().size()).append(" model sizes of one family pre-trained with")
                .append(" the AIM recipe, every checkpoint validated and probed, the final checkpoints and both baselines probed under")
                .append(" the final protocol").append(plan.finalProbe().trainLimit() == 0 && plan.finalProbe().testLimit() == 0 ? " (whole splits)" : "")
                .append(".\n\n");
        findings(md);
        design(md);
        numbers(md);
        environment(md);
        md.append("## Targets\n\n| target | threshold | measured | result |\n|---|---|---|---|\n");
        for (Target x : targets) {
            md.append("| ").append(x.name()).append(" | ").append(x.threshold()).append(" | ").append(x.measured()).append(" | **")
                    .append(x.pass() ? "PASS" : "FAIL").append("**").append(x.counts() ? "" : " (a full-run target, shown for reference)")
                    .append(" |\n");
        }
        md.append("\n").append(headline(targets, plan.quick())).append("\n");
        AtomicFiles.writeString(outcome.report(), md.toString());
        return outcome;
    }

    /** The verdict in one line; a quick run names the targets that count for it. */
    static String headline(List<Target> targets, boolean quick) {
        List<Target> counted = targets.stream().filter(Target::counts).toList();
        long failed = counted.stream().filter(t -> !t.pass()).count();
        if (!quick) {
            return failed == 0 ? "PASS: every target holds" : "FAIL: " + failed + " of the " + counted.size() + " targets missed";
        }
        String names = counted.stream().map(Target::name).collect(Collectors.joining("; "));
        return (failed == 0 ? "PASS: the " + counted.size() + " quick-run targets hold (" : "FAIL: " + failed + " of the " + counted.size()
                + " quick-run targets missed (") + names + "); the full-run targets are shown for reference only";
    }

    private void findings(StringBuilder md) {
        md.append("## Finding 1: capacity lowers the loss and raises the probe\n\n");
        md.append("| size | width | trunk parameters | final validation loss | probe top-1 (final probe) |\n|---|---|---|---|---|\n");
        for (int i = 0; i < f.runs().size(); i++) {
            Results.Run r = f.runs().get(i);
            md.append(String.format(Locale.ROOT, "| %s | %d | %,d | %.4f | %s |%n", r.name(), r.width(), r.params(), r.last().valLoss(),
                    pct(f.finals().get(i).testTop1())));
        }
        md.append(String.format(Locale.ROOT, "| random trunk (%s) | | | | %s |%n| raw pixels, softmax regression | | | | %s |%n%n",
                ReproducePlan.sizeName(f.plan().widths().getLast()), pct(f.random().testTop1()), pct(f.pixels().testTop1())));
        for (String fig : Figures.NAMES.subList(0, 3)) {
            md.append("![").append(fig.replace('-', ' ')).append("](figures/").append(fig).append(".png)\n\n");
        }
        md.append("## Finding 2: the pre-training loss tracks downstream accuracy\n\n");
        md.append(String.format(Locale.ROOT, "Over all %d checkpoints, the Spearman correlation between validation loss and probe accuracy"
                + " is **%.3f** (-1 would mean that a lower loss always came with a better probe, across sizes and training time alike).%n%n",
                f.checkpoints().size(), f.correlation()));
        md.append("![loss vs probe](figures/").append(Figures.NAMES.get(3)).append(".png)\n\n");
    }

    private void design(StringBuilder md) {
        ReproducePlan plan = f.plan();
        Results.Data data = f.data();
        md.append("## What was run, and why\n\n");
        md.append(String.format(Locale.ROOT, "- Data: %,d training images, a validation part of %,d held out of the training split"
                        + " (validation loss: the first %,d, fixed prefixes, fixed seed), the %,d-image test split for the probes.%n",
                data.train().images(), data.val().images(), plan.valSamples(), data.test().images()));
        md.append(String.format(Locale.ROOT, "- Models: widths %s, %d blocks, attention heads of width %d, %dx%d patches on %dx%d images"
                        + " = %d tokens, pixel head %d wide with %d block(s); prefix-causal attention, normalized-pixel loss.%n",
                plan.widths(), plan.depth(), ReproducePlan.HEAD_DIM, plan.patch(), plan.patch(), plan.image(), plan.image(),
                plan.model(plan.widths().getFirst()).trunk().numPatches(), plan.headWidth(), plan.headBlocks()));
        md.append(String.format(Locale.ROOT, "- Pre-training: %d steps of %d images for every size (%.1f epochs), AdamW (0.9, 0.95),"
                        + " weight decay 0.05, peak lr %s with 2.5%% warmup and cosine decay, gradient clipping at 1.0; %d checkpoints each.%n",
                plan.steps(), plan.batch(), plan.steps() * (double) plan.batch() / plan.trainImages(), plan.lr(), plan.checkpoints()));
        ReproducePlan.Probe c = plan.checkpointProbe();
        ReproducePlan.Probe fin = plan.finalProbe();
        md.append(String.format(Locale.ROOT, "- Probes: attention pooling over the mean of blocks %d-%d, cached features, a 10%% held-out"
                        + " part of the training images chooses the lr. Every checkpoint: %s training images, %s test images, %d epochs,"
                        + " lr grid %s. Final checkpoints and baselines: %s training images, %s test images, %d epochs, lr grid %s.%n",
                plan.depth() / 2, plan.depth() - 1, limit(c.trainLimit()), limit(c.testLimit()), c.epochs(), c.lrs(),
                limit(fin.trainLimit()), limit(fin.testLimit()), fin.epochs(), fin.lrs()));
        md.append("\nWhy: ").append(ReproducePlan.RATIONALE).append("\n\n");
    }

    private void numbers(StringBuilder md) {
        md.append("## Every number and the command that produced it\n\n");
        md.append("Each step is an ordinary `aim4j` command (run in-process); run alone, it reproduces its number.\n\n");
        md.append("| what | number | seconds | command |\n|---|---|---|---|\n");
        for (var part : List.of(Map.entry("train", f.data().train()), Map.entry("val", f.data().val()), Map.entry("test", f.data().test()))) {
            md.append(String.format(Locale.ROOT, "| %s images | %,d | | `%s` |%n", part.getKey(), part.getValue().images(),
                    part.getValue().command()));
        }
        for (Results.Run r : f.runs()) {
            String steps = r.checkpoints().stream().map(c -> Long.toString(c.step())).collect(Collectors.joining(", "));
            String losses = r.checkpoints().stream().map(c -> String.format(Locale.ROOT, "%.4f", c.valLoss())).collect(Collectors.joining(", "));
            md.append(String.format(Locale.ROOT, "| %s pre-training: validation loss at steps %s | %s | %.0f | `%s` |%n", r.name(), steps, losses,
                    r.seconds(), r.command()));
        }
        for (Results.Probe c : f.checkpoints()) {
            row(md, String.format(Locale.ROOT, "%s step %d: probe top-1 (checkpoint protocol", ReproducePlan.sizeName(c.width()), c.step()), c);
        }
        for (Results.Probe x : f.finals()) {
            row(md, ReproducePlan.sizeName(x.width()) + " final: probe top-1 (final protocol", x);
        }
        for (var e : List.of(Map.entry("random-trunk probe top-1 (final protocol", f.random()),
                Map.entry("raw-pixel softmax regression top-1 (final protocol", f.pixels()))) {
            row(md, e.getKey(), e.getValue());
        }
        md.append(String.format(Locale.ROOT, "%nWork time of all steps: %.1f min (this invocation: %.1f min; a resumed reproduction counts"
                + " each finished step once).%n%n", f.workSeconds() / 60, f.sessionSeconds() / 60));
    }

    private static void row(StringBuilder md, String what, Results.Probe r) {
        md.append(String.format(Locale.ROOT, "| %s; lr %s) | %s | %.0f | `%s` |%n", what, r.lr(), pct(r.testTop1()), r.seconds(), r.command()));
    }

    private void environment(StringBuilder md) {
        md.append("## Environment\n\n| | |\n|---|---|\n");
        Environment.describe(version).forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        md.append("\nCheckpoints (`model.safetensors`, ml-l3m names; each folder's files checked against its manifest now):\n\n");
        md.append("| size | step | SHA-256 | intact |\n|---|---|---|---|\n");
        for (Results.Run r : f.runs()) {
            for (Results.Checkpoint c : r.checkpoints()) {
                String problem = CheckpointStore.verify(Path.of(c.weights()).getParent());
                md.append("| ").append(r.name()).append(" | ").append(c.step()).append(" | `").append(c.sha256()).append("` | ")
                        .append(problem == null ? "yes" : "NO: " + problem).append(" |\n");
            }
        }
        md.append("\n");
    }

    /** The few lines a terminal shows. */
    private String summary(List<Target> targets) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%-16s %12s %12s %14s%n", "size", "parameters", "val loss", "probe top-1"));
        for (int i = 0; i < f.runs().size(); i++) {
            Results.Run r = f.runs().get(i);
            s.append(String.format(Locale.ROOT, "%-16s %,12d %12.4f %14s%n", r.name(), r.params(), r.last().valLoss(),
                    pct(f.finals().get(i).testTop1())));
        }
        s.append(String.format(Locale.ROOT, "%-16s %12s %12s %14s%n", "random trunk", "", "", pct(f.random().testTop1())));
        s.append(String.format(Locale.ROOT, "%-16s %12s %12s %14s%n", "raw pixels", "", "", pct(f.pixels().testTop1())));
        s.append(String.format(Locale.ROOT, "Spearman(val loss, probe top-1) over %d checkpoints: %.3f%n", f.checkpoints().size(),
                f.correlation()));
        for (Target t : targets) {
            s.append(String.format(Locale.ROOT, "%-5s %s: %s (%s)%s%n", t.pass() ? "PASS" : "FAIL", t.name(), t.measured(), t.threshold(),
                    t.counts() ? "" : " [full-run target]"));
        }
        s.append(headline(targets, f.plan().quick())).append('\n');
        return s.toString();
    }

    private static String limit(long n) {
        return n <= 0 ? "all" : String.format(Locale.ROOT, "%,d", n);
    }

    static String pct(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }
}
