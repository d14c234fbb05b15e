package ai.aim4j.reproduce;

import ai.aim4j.arrow.Manifest;
import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.AimConfig;
import ai.aim4j.model.AimWeights;
import ai.aim4j.model.PretrainConfig;
import ai.aim4j.train.MetricsLog;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The reproduction of the paper's two findings at a size that fits one machine: shard the data,
 * pre-train every model size, validate and probe each checkpoint, probe the final checkpoints and
 * both baselines on the whole splits, then write the report. Every step is an ordinary {@code aim4j}
 * command line, run in-process and recorded next to the numbers it produced, so anyone can re-run
 * one number alone; every finished step is stored ({@link Results}) and pre-training resumes from
 * its checkpoints, so re-running an interrupted reproduction continues where it stopped.
 */
public final class Reproduction {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Runs one {@code aim4j} command line, returning its exit code. */
    public interface Cli {
        int run(String... args);
    }

    private final ReproducePlan plan;
    private final Path dir;
    private final String source;
    private final Cli cli;
    private final PrintStream log;
    private final Results results;
    private final String version;

    /**
     * @param source the {@code --from} spec of the data ({@code fashion-mnist:DIR} or {@code synthetic:N,SIZE})
     */
    public Reproduction(ReproducePlan plan, Path dir, String source, Cli cli, PrintStream log, String version) {
        this.version = version;
        this.plan = plan;
        this.dir = dir;
        this.source = source;
        this.cli = cli;
        this.log = log;
        this.results = new Results(dir);
    }

    /** Runs (or continues) the reproduction and writes the report; returns what the report says. */
    public Report.Outcome run() throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(dir);
        fixPlan();
        ObjectNode data = prepareData();
        List<ObjectNode> runs = new ArrayList<>();
        List<ObjectNode> checkpoints = new ArrayList<>();
        List<ObjectNode> finals = new ArrayList<>();
        for (int w : plan.widths()) {
            ObjectNode run = pretrain(w);
            runs.add(run);
            for (JsonNode c : run.get("checkpoints")) {
                checkpoints.add(probeCheckpoint(w, c));
            }
        }
        int largest = plan.widths().getLast();
        ObjectNode random = probe("baseline-random", List.of("--random-trunk", "--model", modelFile(largest).toString()),
                dir.resolve("probes/random-" + ReproducePlan.sizeName(largest)), plan.finalProbe(), JSON.createObjectNode().put("width", largest));
        ObjectNode pixels = probe("baseline-pixels", List.of("--pixels", "--model", modelFile(largest).toString()),
                dir.resolve("probes/pixels"), plan.finalProbe(), JSON.createObjectNode());
        for (int i = 0; i < plan.widths().size(); i++) {
            int w = plan.widths().get(i);
            JsonNode last = runs.get(i).get("checkpoints").get(runs.get(i).get("checkpoints").size() - 1);
            finals.add(probe("final-" + ReproducePlan.sizeName(w), List.of("--weights", last.get("weights").asText(), "--model",
                    modelFile(w).toString()), dir.resolve("probes/" + ReproducePlan.sizeName(w) + "/final"), plan.finalProbe(),
                    JSON.createObjectNode().put("width", w).put("params", runs.get(i).get("params").asLong())
                            .put("val_loss", last.get("val_loss").asDouble())));
        }
        double sessionSeconds = (System.nanoTime() - t0) / 1e9;
        return new Report(new Findings(plan, data, runs, checkpoints, finals, random, pixels, sessionSeconds), dir, version).write();
    }

    /** Stores the plan, or checks that the stored one is the same: a folder holds one experiment. */
    private void fixPlan() throws IOException {
        Path file = dir.resolve("plan.json");
        // Read back from text, so numbers compare by value and not by the Java type that held them.
        JsonNode want = JSON.readTree(plan.toJson().toString());
        if (Files.exists(file)) {
            JsonNode have = JSON.readTree(file.toFile());
            if (!have.equals(want)) {
                List<String> diff = new ArrayList<>();
                want.properties().forEach(e -> {
                    if (!e.getValue().equals(have.get(e.getKey()))) {
                        diff.add(e.getKey() + " " + have.get(e.getKey()) + " -> " + e.getValue());
                    }
                });
                throw new IllegalArgumentException(dir + " holds a reproduction with another plan (" + String.join(", ", diff)
                        + "): re-run it with its own options, or choose another --out");
            }
            log.println("aim4j: continuing the reproduction in " + dir);
        } else {
            AtomicFiles.writeString(file, plan.toJson().toPrettyString() + "\n");
        }
    }

    /** Training part, validation part (held out of the training split) and the test split, as shards. */
    private ObjectNode prepareData() throws IOException {
        long train = plan.trainImages();
        long val = plan.valImages();
        return results.once("data", "see each part's command", () -> {
            ObjectNode r = JSON.createObjectNode();
            r.set("train", shard("train", "train", "0:" + train, 4));
            r.set("val", shard("val", "train", train + ":" + (train + val), 1));
            r.set("test", shard("test", "test", plan.testImages() > 0 ? "0:" + plan.testImages() : null, 2));
            return r;
        });
    }

    private ObjectNode shard(String part, String split, String range, int shards) throws IOException {
        Path out = dir.resolve("data").resolve(part);
        List<String> args = new ArrayList<>(List.of("shard", "--from", source, "--split", split, "--out", out.toString(),
                "--shards", Integer.toString(shards)));
        if (range != null) {
            args.addAll(List.of("--range", range));
        }
        command(args);
        Manifest m = Manifest.read(out);
        ObjectNode r = JSON.createObjectNode();
        r.put("dir", out.toString()).put("images", m.rows()).put("command", line(args));
        return r;
    }

    private Path modelFile(int width) {
        return dir.resolve("runs").resolve(ReproducePlan.sizeName(width)).resolve("model.json");
    }

    /** Pre-trains one size (resuming from its newest checkpoint when interrupted); lists its checkpoints. */
    private ObjectNode pretrain(int width) throws IOException {
        String name = ReproducePlan.sizeName(width);
        Path run = dir.resolve("runs").resolve(name);
        PretrainConfig model = plan.model(width);
        Files.createDirectories(run);
        AtomicFiles.writeString(modelFile(width), model.toJson().toPrettyString() + "\n");
        long every = plan.checkpointEvery();
        List<String> args = List.of("pretrain", "--data", dir.resolve("data/train").toString(), "--val-data", dir.resolve("data/val").toString(),
                "--model", modelFile(width).toString(), "--out", run.toString(), "--steps", Long.toString(plan.steps()),
                "--batch-size", Integer.toString(plan.batch()), "--lr", Double.toString(plan.lr()), "--seed", Long.toString(plan.seed()),
                "--val-every", Long.toString(every), "--val-samples", Long.toString(plan.valSamples()),
                "--checkpoint-every", Long.toString(every), "--keep-checkpoints", Integer.toString(plan.checkpoints() + 1),
                "--resume", "auto");
        return results.once("pretrain-" + name, line(args), () -> {
            log.printf("aim4j: pre-training %s (%,d trunk parameters), %d steps%n", name, trunkParams(model.trunk()), plan.steps());
            command(args);
            List<JsonNode> metrics = new MetricsLog(run.resolve("metrics.jsonl")).read();
            ObjectNode r = JSON.createObjectNode();
            r.put("width", width).put("name", name).put("params", trunkParams(model.trunk())).put("run", run.toString())
                    .put("seconds", metrics.getLast().path("elapsed_s").asDouble());
            ArrayNode cps = r.putArray("checkpoints");
            for (JsonNode m : metrics) {
                if (m.has("val_loss")) {
                    Path cp = run.resolve(String.format("checkpoints/step-%08d", m.get("step").asLong()));
                    JsonNode manifest = JSON.readTree(cp.resolve("manifest.json").toFile());
                    cps.addObject().put("step", m.get("step").asLong()).put("val_loss", m.get("val_loss").asDouble())
                            .put("weights", cp.resolve("model.safetensors").toString())
                            .put("sha256", manifest.path("sha256").path("model.safetensors").asText());
                }
            }
            return r;
        });
    }

    private ObjectNode probeCheckpoint(int width, JsonNode checkpoint) throws IOException {
        String name = ReproducePlan.sizeName(width);
        String step = String.format("step-%08d", checkpoint.get("step").asLong());
        return probe("probe-" + name + "-" + step, List.of("--weights", checkpoint.get("weights").asText(), "--model",
                modelFile(width).toString()), dir.resolve("probes").resolve(name).resolve(step), plan.checkpointProbe(),
                JSON.createObjectNode().put("width", width).put("step", checkpoint.get("step").asLong())
                        .put("val_loss", checkpoint.get("val_loss").asDouble()));
    }

    /** One {@code aim4j probe} run under a protocol; its chosen grid point's numbers, stored with {@code about} (what was probed). */
    private ObjectNode probe(String name, List<String> trunk, Path out, ReproducePlan.Probe protocol, ObjectNode about) throws IOException {
        List<String> args = new ArrayList<>(List.of("probe"));
        args.addAll(trunk);
        args.addAll(List.of("--data", dir.resolve("data/train").toString(), "--val-data", dir.resolve("data/test").toString(),
                "--out", out.toString(), "--epochs", Integer.toString(protocol.epochs()),
                "--lr-grid", protocol.lrs().stream().map(String::valueOf).collect(Collectors.joining(",")), "--seed", Long.toString(plan.seed())));
        if (protocol.trainLimit() > 0) {
            args.addAll(List.of("--train-limit", Long.toString(protocol.trainLimit())));
        }
        if (protocol.testLimit() > 0) {
            args.addAll(List.of("--test-limit", Long.toString(protocol.testLimit())));
        }
        return results.once(name, line(args), () -> {
            log.println("aim4j: " + name);
            command(args);
            JsonNode probe = JSON.readTree(out.resolve("results.json").toFile());
            ObjectNode r = about.deepCopy();
            JsonNode best = probe.get("best");
            r.put("test_top1", best.get("test_top1").asDouble()).put("held_out_top1", best.get("held_out_top1").asDouble())
                    .put("lr", best.get("lr").asDouble()).put("train_images", probe.get("train_images").asLong())
                    .put("test_images", probe.get("test_images").asLong());
            return r;
        });
    }

    private void command(List<String> args) throws IOException {
        int code = cli.run(args.toArray(String[]::new));
        if (code != 0) {
            throw new IOException("the step '" + line(args) + "' failed (exit " + code + "); fix the cause and re-run: finished steps are kept");
        }
    }

    /** A command line as a person would type it. */
    static String line(List<String> args) {
        return "aim4j " + args.stream().map(a -> a.matches("[A-Za-z0-9_./:,=+@-]+") ? a : "'" + a.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
    }

    static long trunkParams(AimConfig trunk) {
        return AimWeights.shapes(trunk, AimWeights.Parts.TRUNK).values().stream()
                .mapToLong(s -> java.util.Arrays.stream(s).reduce(1, (a, b) -> a * b)).sum();
    }
}
