package ai.aim4j.reproduce;

import ai.aim4j.arrow.AtomicFiles;
import ai.aim4j.report.Charts;
import ai.aim4j.report.Spearman;
import ai.aim4j.train.CheckpointStore;
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

/**
 * {@code DIR/report.md} and its figures: the two findings (capacity lowers the loss and raises the
 * probe; the loss tracks the probe), the table of every number with the command that produced it,
 * the environment, and the targets as PASS/FAIL.
 */
public final class Report {
    private final ReproducePlan plan;
    private final Path dir;
    private final ObjectNode data;
    private final List<ObjectNode> runs;
    private final List<ObjectNode> checkpoints;
    private final List<ObjectNode> finals;
    private final ObjectNode random;
    private final ObjectNode pixels;
    private final double sessionSeconds;
    private final String version;

    /** One target: what it asks, what was measured, whether it holds, and whether it counts in this mode. */
    public record Target(String name, String threshold, String measured, boolean pass, boolean counts) {}

    /** What the report concluded. */
    public record Outcome(Path report, List<Target> targets, String summary) {
        /** Whether every target that counts in this mode holds. */
        public boolean passed() {
            return targets.stream().filter(Target::counts).allMatch(Target::pass);
        }
    }

    Report(ReproducePlan plan, Path dir, ObjectNode data, List<ObjectNode> runs, List<ObjectNode> checkpoints, List<ObjectNode> finals,
           ObjectNode random, ObjectNode pixels, double sessionSeconds, String version) {
        this.plan = plan;
        this.dir = dir;
        this.data = data;
        this.runs = runs;
        this.checkpoints = checkpoints;
        this.finals = finals;
        this.random = random;
        this.pixels = pixels;
        this.sessionSeconds = sessionSeconds;
        this.version = version;
    }

    /** The Spearman correlation of validation loss and probe accuracy over every checkpoint. */
    double correlation() {
        return Spearman.correlation(checkpoints.stream().mapToDouble(c -> c.get("val_loss").asDouble()).toArray(),
                checkpoints.stream().mapToDouble(c -> c.get("test_top1").asDouble()).toArray());
    }

    /** Seconds of work in every step (pre-training as its runs logged it, resumed parts included once). */
    double workSeconds() {
        double s = data.path("seconds").asDouble() + random.get("seconds").asDouble() + pixels.get("seconds").asDouble();
        for (List<ObjectNode> part : List.of(runs, checkpoints, finals)) {
            s += part.stream().mapToDouble(r -> r.get("seconds").asDouble()).sum();
        }
        return s;
    }

    List<Target> targets() {
        List<Target> t = new ArrayList<>();
        double[] losses = runs.stream().mapToDouble(Report::finalValLoss).toArray();
        boolean ordered = true;
        for (int i = 1; i < losses.length; i++) {
            ordered &= losses[i] < losses[i - 1];
        }
        StringBuilder lossText = new StringBuilder();
        for (int i = 0; i < losses.length; i++) {
            lossText.append(i == 0 ? "" : " > ").append(fmt(losses[i], 4));
        }
        t.add(new Target("Larger models reach lower final validation loss", "strictly ordered by size", lossText.toString(), ordered,
                !plan.quick()));
        double rho = correlation();
        t.add(new Target("Validation loss tracks probe accuracy (Spearman, all " + checkpoints.size() + " checkpoints)", "<= -0.80",
                fmt(rho, 3), rho <= -0.8, !plan.quick()));
        ObjectNode largest = finals.getLast();
        double margin = 100 * (largest.get("test_top1").asDouble() - random.get("test_top1").asDouble());
        double need = plan.quick() ? 2 : 5;
        t.add(new Target("Pre-trained beats the random trunk (" + ReproducePlan.sizeName(largest.get("width").asInt()) + ", final probes)",
                ">= " + fmt(need, 0) + " points", String.format(Locale.ROOT, "%+.2f points (%s vs %s)", margin,
                pct(largest.get("test_top1")), pct(random.get("test_top1"))), margin >= need, true));
        ObjectNode best = bestFinal();
        boolean beats = best.get("test_top1").asDouble() > pixels.get("test_top1").asDouble();
        t.add(new Target("Best probe beats raw-pixel softmax regression", "> " + pct(pixels.get("test_top1")),
                pct(best.get("test_top1")) + " (" + ReproducePlan.sizeName(best.get("width").asInt()) + ")", beats, !plan.quick()));
        double minutes = workSeconds() / 60;
        double limit = plan.quick() ? 8 : 90;
        t.add(new Target((plan.quick() ? "Quick" : "Full") + " run time on this machine", "<= " + fmt(limit, 0) + " min",
                fmt(minutes, 1) + " min", minutes <= limit, true));
        return t;
    }

    private ObjectNode bestFinal() {
        ObjectNode best = finals.getFirst();
        for (ObjectNode f : finals) {
            if (f.get("test_top1").asDouble() > best.get("test_top1").asDouble()) {
                best = f;
            }
        }
        return best;
    }

    private static double finalValLoss(JsonNode run) {
        JsonNode cps = run.get("checkpoints");
        return cps.get(cps.size() - 1).get("val_loss").asDouble();
    }

    /** Writes the figures and the report; returns the outcome. */
    Outcome write() throws IOException {
        figures();
        List<Target> targets = targets();
        StringBuilder md = new StringBuilder();
        boolean passed = targets.stream().filter(Target::counts).allMatch(Target::pass);
        long failed = targets.stream().filter(x -> x.counts() && !x.pass()).count();
        String dataset = plan.dataset().equals("fmnist") ? "Fashion-MNIST" : "the synthetic dataset";
        md.append("# AIM reproduction on ").append(dataset).append(plan.quick() ? " (quick)" : "").append("\n\n");
        md.append("**").append(passed ? "PASS: every target holds" : "FAIL: " + failed + " target(s) missed")
                .append("** (the targets are at the end). ").append(plan.widths().size()).append(" model sizes of one family pre-trained with")
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
        md.append("\n").append(passed ? "PASS" : "FAIL").append(plan.quick() ? " (quick run: the targets marked as full-run targets do not count)" : "")
                .append("\n");
        Path file = dir.resolve("report.md");
        AtomicFiles.writeString(file, md.toString());
        return new Outcome(file, targets, summary(targets));
    }

    private void findings(StringBuilder md) {
        md.append("## Finding 1: capacity lowers the loss and raises the probe\n\n");
        md.append("| size | width | trunk parameters | final validation loss | probe top-1 (final probe) |\n|---|---|---|---|---|\n");
        for (int i = 0; i < runs.size(); i++) {
            ObjectNode r = runs.get(i);
            md.append(String.format(Locale.ROOT, "| %s | %d | %,d | %.4f | %s |%n", r.get("name").asText(), r.get("width").asInt(),
                    r.get("params").asLong(), finalValLoss(r), pct(finals.get(i).get("test_top1"))));
        }
        md.append(String.format(Locale.ROOT, "| random trunk (%s) | | | | %s |%n| raw pixels, softmax regression | | | | %s |%n%n",
                ReproducePlan.sizeName(plan.widths().getLast()), pct(random.get("test_top1")), pct(pixels.get("test_top1"))));
        md.append("![validation loss](figures/validation-loss.png)\n\n![training loss](figures/training-loss.png)\n\n");
        md.append("![probe accuracy against parameters](figures/probe-vs-params.png)\n\n");
        md.append("## Finding 2: the pre-training loss tracks downstream accuracy\n\n");
        md.append(String.format(Locale.ROOT, "Over all %d checkpoints, the Spearman correlation between validation loss and probe accuracy"
                + " is **%.3f**: the lower a checkpoint's loss, the better its features, across sizes and training time alike.%n%n",
                checkpoints.size(), correlation()));
        md.append("![validation loss against probe accuracy](figures/loss-vs-probe.png)\n\n");
    }

    private void design(StringBuilder md) {
        var m = plan.model(plan.widths().getFirst());
        int tokens = m.trunk().numPatches();
        md.append("## What was run, and why\n\n");
        md.append(String.format(Locale.ROOT, "- Data: %,d training images, a validation part of %,d held out of the training split"
                        + " (validation loss: the first %,d, fixed prefixes, fixed seed), the %,d-image test split for the probes.%n",
                data.get("train").get("images").asLong(), data.get("val").get("images").asLong(), plan.valSamples(),
                data.get("test").get("images").asLong()));
        md.append(String.format(Locale.ROOT, "- Models: widths %s, %d blocks, attention heads of width %d, %dx%d patches on %dx%d images"
                        + " = %d tokens, pixel head %d wide with %d block(s); prefix-causal attention, normalized-pixel loss.%n",
                plan.widths(), plan.depth(), ReproducePlan.HEAD_DIM, plan.patch(), plan.patch(), plan.image(), plan.image(), tokens,
                plan.headWidth(), plan.headBlocks()));
        md.append(String.format(Locale.ROOT, "- Pre-training: %d steps of %d images for every size (%.1f epochs), AdamW (0.9, 0.95),"
                        + " weight decay 0.05, peak lr %s with 2.5%% warmup and cosine decay, gradient clipping at 1.0; %d checkpoints each.%n",
                plan.steps(), plan.batch(), plan.steps() * (double) plan.batch() / plan.trainImages(), plan.lr(), plan.checkpoints()));
        md.append(String.format(Locale.ROOT, "- Probes: attention pooling over the mean of blocks %d-%d, cached features, lr grid %s"
                        + " chosen on a 10%% held-out part of the training images. Every checkpoint: %s training images, %s test images,"
                        + " %d epochs. Final checkpoints and baselines: %s training images, %s test images, %d epochs.%n",
                plan.depth() / 2, plan.depth() - 1, plan.finalProbe().lrs(), limit(plan.checkpointProbe().trainLimit()),
                limit(plan.checkpointProbe().testLimit()), plan.checkpointProbe().epochs(), limit(plan.finalProbe().trainLimit()),
                limit(plan.finalProbe().testLimit()), plan.finalProbe().epochs()));
        md.append("\nThe time budget decides everything: ").append(ReproducePlan.RATIONALE).append("\n\n");
    }

    private void numbers(StringBuilder md) {
        md.append("## Every number and the command that produced it\n\n");
        md.append("Each step is an ordinary `aim4j` command (run in-process); re-running one alone reproduces its number.\n\n");
        md.append("| what | number | seconds | command |\n|---|---|---|---|\n");
        for (String part : List.of("train", "val", "test")) {
            JsonNode d = data.get(part);
            md.append(String.format(Locale.ROOT, "| %s images | %,d | | `%s` |%n", part, d.get("images").asLong(), d.get("command").asText()));
        }
        for (ObjectNode r : runs) {
            md.append(String.format(Locale.ROOT, "| %s pre-training: validation losses at steps %s | %s | %.0f | `%s` |%n", r.get("name").asText(),
                    join(r.get("checkpoints"), "step", 0), join(r.get("checkpoints"), "val_loss", 4), r.get("seconds").asDouble(),
                    r.get("command").asText()));
        }
        for (ObjectNode c : checkpoints) {
            md.append(String.format(Locale.ROOT, "| %s step %d: probe top-1 (subset; lr %s) | %s | %.0f | `%s` |%n",
                    ReproducePlan.sizeName(c.get("width").asInt()), c.get("step").asLong(), c.get("lr").asText(), pct(c.get("test_top1")),
                    c.get("seconds").asDouble(), c.get("command").asText()));
        }
        for (ObjectNode f : finals) {
            md.append(String.format(Locale.ROOT, "| %s final: probe top-1 (final probe; lr %s) | %s | %.0f | `%s` |%n",
                    ReproducePlan.sizeName(f.get("width").asInt()), f.get("lr").asText(), pct(f.get("test_top1")), f.get("seconds").asDouble(),
                    f.get("command").asText()));
        }
        for (var e : List.of(java.util.Map.entry("random-trunk probe top-1", random), java.util.Map.entry("raw-pixel softmax regression top-1", pixels))) {
            md.append(String.format(Locale.ROOT, "| %s (lr %s) | %s | %.0f | `%s` |%n", e.getKey(), e.getValue().get("lr").asText(),
                    pct(e.getValue().get("test_top1")), e.getValue().get("seconds").asDouble(), e.getValue().get("command").asText()));
        }
        md.append(String.format(Locale.ROOT, "%nWork time of all steps: %.1f min (this invocation: %.1f min; a resumed run counts each"
                + " finished step once).%n%n", workSeconds() / 60, sessionSeconds / 60));
    }

    private void environment(StringBuilder md) {
        md.append("## Environment\n\n| | |\n|---|---|\n");
        Environment.describe(version).forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        md.append("\nCheckpoints (`model.safetensors`, ml-l3m names; each folder's manifest checked against its files now):\n\n");
        md.append("| size | step | SHA-256 | intact |\n|---|---|---|---|\n");
        for (ObjectNode r : runs) {
            for (JsonNode c : r.get("checkpoints")) {
                String problem = CheckpointStore.verify(Path.of(c.get("weights").asText()).getParent());
                md.append("| ").append(r.get("name").asText()).append(" | ").append(c.get("step").asLong()).append(" | `")
                        .append(c.get("sha256").asText()).append("` | ").append(problem == null ? "yes" : "NO: " + problem).append(" |\n");
            }
        }
        md.append("\n");
    }

    private void figures() throws IOException {
        Path figs = dir.resolve("figures");
        SequencedMap<String, Charts.Series> val = new LinkedHashMap<>();
        SequencedMap<String, Charts.Series> train = new LinkedHashMap<>();
        SequencedMap<String, Charts.Series> scatter = new LinkedHashMap<>();
        for (ObjectNode r : runs) {
            String name = r.get("name").asText();
            List<Double> steps = new ArrayList<>();
            List<Double> losses = new ArrayList<>();
            for (JsonNode c : r.get("checkpoints")) {
                steps.add(c.get("step").asDouble());
                losses.add(c.get("val_loss").asDouble());
            }
            val.put(name, new Charts.Series(steps, losses, Charts.Style.LINE_AND_POINTS));
            train.put(name, smoothedTrainingLoss(Path.of(r.get("run").asText())));
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (ObjectNode c : checkpoints) {
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
        Charts.plot(figs.resolve("loss-vs-probe.png"), String.format(Locale.ROOT, "Every checkpoint: Spearman %.3f", correlation()),
                "validation loss", "probe top-1 (%, subset)", scatter, false);
        List<Double> params = runs.stream().map(r -> r.get("params").asDouble()).toList();
        List<Double> ends = List.of(params.getFirst(), params.getLast());
        SequencedMap<String, Charts.Series> scaling = new LinkedHashMap<>();
        scaling.put("pre-trained (final checkpoint)", new Charts.Series(params,
                finals.stream().map(f -> 100 * f.get("test_top1").asDouble()).toList(), Charts.Style.LINE_AND_POINTS));
        scaling.put("random trunk", level(ends, random));
        scaling.put("raw pixels", level(ends, pixels));
        Charts.plot(figs.resolve("probe-vs-params.png"), "Probe top-1 on the test split against trunk size", "trunk parameters (log)",
                "top-1 (%)", scaling, true);
    }

    private static Charts.Series level(List<Double> x, JsonNode result) {
        double v = 100 * result.get("test_top1").asDouble();
        return new Charts.Series(x, List.of(v, v), Charts.Style.DASHED);
    }

    /** Per-step training loss averaged over a window of 2% of the run (at least 5 steps). */
    private Charts.Series smoothedTrainingLoss(Path run) throws IOException {
        List<JsonNode> lines = new MetricsLog(run.resolve("metrics.jsonl")).read();
        int window = (int) Math.max(5, plan.steps() / 50);
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

    /** The few lines a terminal shows. */
    private String summary(List<Target> targets) {
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "%-16s %12s %12s %14s%n", "size", "parameters", "val loss", "probe top-1"));
        for (int i = 0; i < runs.size(); i++) {
            s.append(String.format(Locale.ROOT, "%-16s %,12d %12.4f %14s%n", runs.get(i).get("name").asText(), runs.get(i).get("params").asLong(),
                    finalValLoss(runs.get(i)), pct(finals.get(i).get("test_top1"))));
        }
        s.append(String.format(Locale.ROOT, "%-16s %12s %12s %14s%n", "random trunk", "", "", pct(random.get("test_top1"))));
        s.append(String.format(Locale.ROOT, "%-16s %12s %12s %14s%n", "raw pixels", "", "", pct(pixels.get("test_top1"))));
        s.append(String.format(Locale.ROOT, "Spearman(val loss, probe top-1) over %d checkpoints: %.3f%n", checkpoints.size(), correlation()));
        for (Target t : targets) {
            s.append(String.format(Locale.ROOT, "%-5s %s: %s (%s)%s%n", t.pass() ? "PASS" : "FAIL", t.name(), t.measured(), t.threshold(),
                    t.counts() ? "" : " [full-run target]"));
        }
        return s.toString();
    }

    private static String join(JsonNode items, String field, int decimals) {
        List<String> parts = new ArrayList<>();
        for (JsonNode n : items) {
            parts.add(decimals == 0 ? Long.toString(n.get(field).asLong()) : fmt(n.get(field).asDouble(), decimals));
        }
        return String.join(", ", parts);
    }

    private static String limit(long n) {
        return n <= 0 ? "all" : String.format(Locale.ROOT, "%,d", n);
    }

    private static String pct(JsonNode fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction.asDouble());
    }

    private static String fmt(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }
}
