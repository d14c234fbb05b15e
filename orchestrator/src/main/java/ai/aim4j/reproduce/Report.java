package ai.aim4j.reproduce;

import ai.aim4j.files.AtomicFiles;
import ai.aim4j.report.Interval;
import ai.aim4j.report.SpearmanBootstrap;
import ai.aim4j.run.Precision;
import ai.aim4j.train.CheckpointStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SequencedMap;
import java.util.stream.Collectors;

/**
 * {@code DIR/report.md}: the findings with their figures (means over seeds with 95% intervals),
 * what was run and why, every number with the command that produced it, the environment every step
 * ran with and every checkpoint's SHA-256, and the targets as PASS/FAIL at the end. Every number
 * comes from the stored results and the plan beside the report.
 */
public final class Report {
    private final Findings f;
    private final Path dir;

    /** What the report concluded. */
    public record Outcome(Path report, List<Target> targets, String summary) {
        /** Whether every target that counts in this mode holds. */
        public boolean passed() {
            return targets.stream().filter(Target::counts).allMatch(Target::pass);
        }
    }

    Report(Findings findings, Path dir) {
        this.f = findings;
        this.dir = dir;
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
        md.append("**").append(headline(targets, plan.quick())).append("** (the targets are at the end). ").append(plan.widths().size())
                .append(" model sizes of one family pre-trained with the AIM recipe, ").append(seeds()).append(", every checkpoint")
                .append(" validated and probed, the final checkpoints and both baselines probed under the final protocol")
                .append(plan.dataSizes().isEmpty() ? "" : ", and the largest size pre-trained on " + plan.dataSizes().size()
                        + " nested subsets of the training data").append(". Means over seeds come with their 95% intervals")
                .append(" (Student's t) in brackets.\n\n");
        capacity(md);
        correlation(md);
        dataScaling(md);
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

    private String seeds() {
        return f.trials().size() == 1 ? "one seed (" + f.plan().seed() + ")" : f.trials().size() + " seeds each ("
                + f.plan().seedList().stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")";
    }

    private void capacity(StringBuilder md) {
        md.append("## Finding 1: capacity lowers the loss and raises the probe\n\n");
        md.append("| size | width | trunk parameters | final validation loss | probe top-1 (final probe) |\n|---|---|---|---|---|\n");
        for (int i = 0; i < f.plan().widths().size(); i++) {
            Results.Run r = f.trials().getFirst().runs().get(i);
            md.append(String.format(Locale.ROOT, "| %s | %d | %,d | %s | %s |%n", r.name(), r.width(), r.params(),
                    interval(f.finalLoss(i), "%.4f"), interval(f.finalProbe(i))));
        }
        md.append(String.format(Locale.ROOT, "| random trunk (%s) | | | | %s |%n| raw pixels, softmax regression | | | | %s |%n%n",
                ReproducePlan.sizeName(f.plan().widths().getLast()), interval(f.random()), interval(f.pixels())));
        for (String fig : Figures.NAMES.subList(0, 3)) {
            figure(md, fig);
        }
    }

    private void correlation(StringBuilder md) {
        SpearmanBootstrap.Result ci = f.correlationInterval();
        md.append("## Finding 2: the pre-training loss tracks downstream accuracy\n\n");
        md.append(String.format(Locale.ROOT, "Over all %d checkpoints (%d sizes x %d checkpoints x %d seeds), the Spearman correlation"
                        + " between validation loss and probe accuracy is **%.3f**, 95%% bootstrap interval [%.3f, %.3f] (%,d resamples of"
                        + " the checkpoints, seed %d). -1 would mean that a lower loss always came with a better probe, across sizes,"
                        + " training time and seeds alike.%n%n", f.checkpointProbes().size(), f.plan().widths().size(), f.plan().checkpoints(),
                f.trials().size(), f.correlation(), ci.low(), ci.high(), ci.resamples(), f.plan().seed()));
        figure(md, Figures.NAMES.get(3));
    }

    private void dataScaling(StringBuilder md) {
        md.append("## Finding 3: more pre-training data lowers the loss and raises the probe\n\n");
        if (f.dataScaling().isEmpty()) {
            md.append("Not part of this plan (the quick run leaves the data-scaling study out to stay within its time).\n\n");
            return;
        }
        md.append(String.format(Locale.ROOT, "%s pre-trained with seed %d for the same %d steps of %d images on the first N images of"
                + " the training part (nested subsets); the final probe under the final protocol.%n%n",
                ReproducePlan.sizeName(f.plan().widths().getLast()), f.plan().seed(), f.plan().steps(), f.plan().batch()));
        md.append("| pre-training images | epochs | final validation loss | probe top-1 (final probe) |\n|---|---|---|---|\n");
        for (Findings.DataPoint d : f.dataScaling()) {
            md.append(String.format(Locale.ROOT, "| %,d | %.1f | %.4f | %s |%n", d.images(), f.plan().steps() * (double) f.plan().batch() / d.images(),
                    d.run().last().valLoss(), pct(d.probe().testTop1())));
        }
        md.append("\n");
        figure(md, Figures.DATA);
    }

    private static void figure(StringBuilder md, String name) {
        md.append("![").append(name.replace('-', ' ')).append("](figures/").append(name).append(".png)\n\n");
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
                        + " weight decay 0.05, peak lr %s with 2.5%% warmup and cosine decay, gradient clipping at 1.0; %d checkpoints each;"
                        + " pre-training and probes in %s.%n",
                plan.steps(), plan.batch(), plan.steps() * (double) plan.batch() / plan.trainImages(), plan.lr(), plan.checkpoints(),
                plan.precision() == Precision.FP32 ? "float32" : "bf16 mixed precision (float32 weights and optimizer)"));
        md.append(String.format(Locale.ROOT, "- Seeds: %s; a seed sets the initialization, the data order, the prefix lengths and the"
                + " probe (its head, order and held-out part; the random trunk's initialization). Margins over the baselines are"
                + " differences within a seed, then averaged.%n", seeds()));
        ReproducePlan.Probe c = plan.checkpointProbe();
        ReproducePlan.Probe fin = plan.finalProbe();
        md.append(String.format(Locale.ROOT, "- Probes: attention pooling over the mean of blocks %d-%d, cached features, a 10%% held-out"
                        + " part of the training images chooses the lr. Every checkpoint: %s training images, %s test images, %d epochs,"
                        + " lr grid %s. Final checkpoints and baselines: %s training images, %s test images, %d epochs, lr grid %s.%n",
                plan.depth() / 2, plan.depth() - 1, limit(c.trainLimit()), limit(c.testLimit()), c.epochs(), c.lrs(),
                limit(fin.trainLimit()), limit(fin.testLimit()), fin.epochs(), fin.lrs()));
        md.append("\nWhy: ").append(ReproducePlan.RATIONALE).append(" ").append(measuredRationale()).append("\n\n");
    }

    /** The rationale's measured side, from this run's results. */
    private String measuredRationale() {
        List<Results.Run> first = f.trials().getFirst().runs();
        double small = f.interval(t -> t.runs().getFirst().seconds()).mean();
        double large = f.interval(t -> t.runs().getLast().seconds()).mean();
        double total = f.trials().stream().flatMap(t -> t.runs().stream()).mapToDouble(Results.Run::seconds).sum() / f.trials().size();
        List<Results.Probe> probes = f.checkpointProbes();
        double p = probes.stream().mapToDouble(Results.Probe::testTop1).average().orElseThrow();
        long n = probes.getFirst().testImages();
        return String.format(Locale.ROOT, "In this run, %s (%.1fx the width of %s) took %.1fx as long to pre-train, %.0f%% of the"
                        + " pre-training time of one seed; the random %s trunk probed at %s against %s for raw pixels; and at the checkpoint"
                        + " probes' mean accuracy of %s, a %,d-image test part has a standard error of %.2f points.",
                first.getLast().name(), first.getLast().width() / (double) first.getFirst().width(), first.getFirst().name(), large / small,
                100 * large / total, first.getLast().name(), pct(f.random().mean()), pct(f.pixels().mean()), pct(p), n,
                100 * Math.sqrt(p * (1 - p) / n));
    }

    private void numbers(StringBuilder md) {
        md.append("## Every number and the command that produced it\n\n");
        md.append("Each step is an ordinary `aim4j` command (run in-process); run alone, it reproduces its number. Each step's result,"
                + " with the environment and git revision it ran with, is in `results/`, and the plan in `plan.json`.\n\n");
        md.append("| what | number | seconds | command |\n|---|---|---|---|\n");
        Results.Data data = f.data();
        List<Map.Entry<String, Results.DataPart>> parts = new ArrayList<>(List.of(Map.entry("train", data.train()), Map.entry("val", data.val()),
                Map.entry("test", data.test())));
        data.subsets().forEach(s -> parts.add(Map.entry("data-scaling subset", s)));
        for (var part : parts) {
            md.append(String.format(Locale.ROOT, "| %s images | %,d | | `%s` |%n", part.getKey(), part.getValue().images(),
                    part.getValue().command()));
        }
        for (Findings.Trial t : f.trials()) {
            for (Results.Run r : t.runs()) {
                run(md, r.name() + " seed " + t.seed(), r);
            }
            for (Results.Probe c : t.checkpoints()) {
                row(md, String.format(Locale.ROOT, "%s seed %d step %d: probe top-1 (checkpoint protocol", ReproducePlan.sizeName(c.width()),
                        t.seed(), c.step()), c);
            }
            for (Results.Probe x : t.finals()) {
                row(md, ReproducePlan.sizeName(x.width()) + " seed " + t.seed() + " final: probe top-1 (final protocol", x);
            }
            row(md, "random-trunk probe top-1, seed " + t.seed() + " (final protocol", t.random());
            row(md, "raw-pixel softmax regression top-1, seed " + t.seed() + " (final protocol", t.pixels());
        }
        for (Findings.DataPoint d : f.ownDataRuns()) {
            run(md, String.format(Locale.ROOT, "%s on %,d images", d.run().name(), d.images()), d.run());
            row(md, String.format(Locale.ROOT, "%s on %,d images final: probe top-1 (final protocol", d.run().name(), d.images()), d.probe());
        }
        List<WallClock.Span> spans = f.wall().spans();
        md.append(String.format(Locale.ROOT, "%nWall time: %.1f min in %d invocation(s) (%s); work time of all steps: %.1f min (each"
                        + " finished step counted once; side-by-side workers overlap it).%n%n", f.wall().seconds() / 60, spans.size(),
                spans.stream().map(s -> String.format(Locale.ROOT, "%s, %.1f min, %d worker(s)", s.start(), s.seconds() / 60, s.jobs()))
                        .collect(Collectors.joining("; ")), f.workSeconds() / 60));
    }

    private static void run(StringBuilder md, String what, Results.Run r) {
        String steps = r.checkpoints().stream().map(c -> Long.toString(c.step())).collect(Collectors.joining(", "));
        String losses = r.checkpoints().stream().map(c -> String.format(Locale.ROOT, "%.4f", c.valLoss())).collect(Collectors.joining(", "));
        md.append(String.format(Locale.ROOT, "| %s pre-training: validation loss at steps %s | %s | %.0f | `%s` |%n", what, steps, losses,
                r.seconds(), r.command()));
    }

    private static void row(StringBuilder md, String what, Results.Probe r) {
        md.append(String.format(Locale.ROOT, "| %s; lr %s) | %s | %.0f | `%s` |%n", what, r.lr(), pct(r.testTop1()), r.seconds(), r.command()));
    }

    private void environment(StringBuilder md) {
        md.append("## Environment\n\n");
        SequencedMap<Provenance, List<String>> by = new LinkedHashMap<>();
        by.computeIfAbsent(f.data().ranWith(), k -> new ArrayList<>()).add("data");
        for (Findings.Trial t : f.trials()) {
            t.runs().forEach(r -> by.computeIfAbsent(r.ranWith(), k -> new ArrayList<>()).add("pre-training " + r.name() + " seed " + t.seed()));
            List<Results.Probe> probes = new ArrayList<>(t.checkpoints());
            probes.addAll(t.finals());
            probes.add(t.random());
            probes.add(t.pixels());
            probes.forEach(p -> by.computeIfAbsent(p.ranWith(), k -> new ArrayList<>()).add("probes of seed " + t.seed()));
        }
        for (Findings.DataPoint d : f.ownDataRuns()) {
            String what = String.format(Locale.ROOT, "data scaling on %,d images", d.images());
            by.computeIfAbsent(d.run().ranWith(), k -> new ArrayList<>()).add(what);
            by.computeIfAbsent(d.probe().ranWith(), k -> new ArrayList<>()).add(what);
        }
        by.forEach((env, steps) -> {
            md.append(by.size() == 1 ? "Every step ran with:\n\n" : "These steps (" + String.join(", ", steps.stream().distinct().toList())
                    + ") ran with:\n\n");
            md.append("| | |\n|---|---|\n");
            env.describe().forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
            md.append("\n");
        });
        md.append("Checkpoints (`model.safetensors`, ml-l3m names; each folder's files checked against its manifest now):\n\n");
        md.append("| run | step | SHA-256 | intact |\n|---|---|---|---|\n");
        List<Results.Run> runs = new ArrayList<>(f.trials().stream().flatMap(t -> t.runs().stream()).toList());
        f.ownDataRuns().forEach(d -> runs.add(d.run()));
        for (Results.Run r : runs) {
            for (Results.Checkpoint c : r.checkpoints()) {
                String problem = CheckpointStore.verify(Path.of(c.weights()).getParent());
                md.append(String.format(Locale.ROOT, "| %s seed %d, %,d images | %d | `%s` | %s |%n", r.name(), r.seed(), r.images(), c.step(),
                        c.sha256(), problem == null ? "yes" : "NO: " + problem));
            }
        }
        md.append("\n");
    }

    /** The few lines a terminal shows. */
    private String summary(List<Target> targets) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%-16s %12s %24s %26s%n", "size", "parameters", "val loss", "probe top-1"));
        for (int i = 0; i < f.plan().widths().size(); i++) {
            Results.Run r = f.trials().getFirst().runs().get(i);
            s.append(String.format(Locale.ROOT, "%-16s %,12d %24s %26s%n", r.name(), r.params(), interval(f.finalLoss(i), "%.4f"),
                    interval(f.finalProbe(i))));
        }
        s.append(String.format(Locale.ROOT, "%-16s %12s %24s %26s%n", "random trunk", "", "", interval(f.random())));
        s.append(String.format(Locale.ROOT, "%-16s %12s %24s %26s%n", "raw pixels", "", "", interval(f.pixels())));
        SpearmanBootstrap.Result ci = f.correlationInterval();
        s.append(String.format(Locale.ROOT, "Spearman(val loss, probe top-1) over %d checkpoints: %.3f [%.3f, %.3f]%n", f.checkpointProbes().size(),
                f.correlation(), ci.low(), ci.high()));
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

    /** A mean with its 95% interval in brackets (the mean alone for one seed), each number as {@code format} writes it. */
    static String interval(Interval v, String format) {
        String mean = String.format(Locale.ROOT, format, v.mean());
        return v.defined() ? mean + " [" + String.format(Locale.ROOT, format, v.low()) + ", " + String.format(Locale.ROOT, format, v.high()) + "]"
                : mean;
    }

    /** An accuracy (fraction) in percent with its interval. */
    static String interval(Interval v) {
        return v.defined() ? pct(v.mean()) + String.format(Locale.ROOT, " [%.2f, %.2f]", 100 * v.low(), 100 * v.high()) : pct(v.mean());
    }

    /** A margin (fraction) in points with its interval. */
    static String points(Interval v) {
        return String.format(Locale.ROOT, "%+.2f points", 100 * v.mean())
                + (v.defined() ? String.format(Locale.ROOT, " [%+.2f, %+.2f]", 100 * v.low(), 100 * v.high()) : "");
    }
}
