package ai.aim4j.reproduce;

import ai.aim4j.arrow.Manifest;
import ai.aim4j.data.ShardSettings;
import ai.aim4j.data.Sharding;
import ai.aim4j.dist.SingleProcess;
import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.Aim;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.probe.ProbeEngine;
import ai.aim4j.probe.ProbeResult;
import ai.aim4j.probe.ProbeSettings;
import ai.aim4j.run.ProgressListener;
import ai.aim4j.train.CheckpointStore;
import ai.aim4j.train.MetricsLog;
import ai.aim4j.train.PretrainEngine;
import ai.aim4j.train.PretrainSettings;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The reproduction of the paper's two findings at a size that fits one machine: shard the data,
 * pre-train every model size, validate and probe each checkpoint, probe the final checkpoints and
 * both baselines on the whole splits, then write the report. Each step calls its engine with typed
 * settings and records the equivalent {@code aim4j} command line next to the numbers it produced,
 * so anyone can re-run one number alone; every finished step is stored ({@link Results}) and
 * pre-training resumes from its checkpoints, so re-running an interrupted reproduction continues
 * where it stopped.
 */
public final class Reproduction {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReproducePlan plan;
    private final Path dir;
    private final String source;
    private final PrintStream log;
    private final Results results;
    private final String version;

    /**
     * @param source the {@code --from} spec of the data ({@code fashion-mnist:DIR} or {@code synthetic:N,SIZE})
     * @param log    where the steps' progress lines go
     */
    public Reproduction(ReproducePlan plan, Path dir, String source, PrintStream log, String version) {
        this.plan = plan;
        this.dir = dir;
        this.source = source;
        this.log = log;
        this.version = version;
        this.results = new Results(dir);
    }

    /** Runs (or continues) the reproduction and writes the report; returns what the report says. */
    public Report.Outcome run() throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(dir);
        fixPlan();
        Results.Data data = results.once("data", Results.Data.class, this::prepareData);
        List<Results.Run> runs = new ArrayList<>();
        List<Results.Probe> checkpoints = new ArrayList<>();
        for (int w : plan.widths()) {
            Results.Run run = pretrain(w);
            runs.add(run);
            for (Results.Checkpoint c : run.checkpoints()) {
                String step = String.format("step-%08d", c.step());
                checkpoints.add(probe("probe-" + run.name() + "-" + step, new ProbeSettings.Trunk.Weights(Path.of(c.weights())), w,
                        dir.resolve("probes").resolve(run.name()).resolve(step), plan.checkpointProbe(),
                        r -> outcome(w, c.step(), null, c.valLoss(), r)));
            }
        }
        int largest = plan.widths().getLast();
        Results.Probe random = probe("baseline-random", new ProbeSettings.Trunk.Random(), largest,
                dir.resolve("probes/random-" + ReproducePlan.sizeName(largest)), plan.finalProbe(), r -> outcome(largest, null, null, null, r));
        Results.Probe pixels = probe("baseline-pixels", new ProbeSettings.Trunk.Pixels(), largest, dir.resolve("probes/pixels"),
                plan.finalProbe(), r -> outcome(null, null, null, null, r));
        List<Results.Probe> finals = new ArrayList<>();
        for (Results.Run run : runs) {
            Results.Checkpoint last = run.last();
            finals.add(probe("final-" + run.name(), new ProbeSettings.Trunk.Weights(Path.of(last.weights())), run.width(),
                    dir.resolve("probes").resolve(run.name()).resolve("final"), plan.finalProbe(),
                    r -> outcome(run.width(), null, run.params(), last.valLoss(), r)));
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
    private Results.Data prepareData() throws IOException {
        long t0 = System.nanoTime();
        long train = plan.trainImages();
        long val = plan.valImages();
        return new Results.Data(shard("train", "train", "0:" + train, 4), shard("val", "train", train + ":" + (train + val), 1),
                shard("test", "test", plan.testImages() > 0 ? "0:" + plan.testImages() : null, 2), seconds(t0));
    }

    private Results.DataPart shard(String part, String split, String range, int shards) throws IOException {
        ShardSettings s = new ShardSettings(source, dir.resolve("data").resolve(part), shards, split, null, 0, range);
        Manifest m = Sharding.run(s, ProgressListener.NONE);
        return new Results.DataPart(s.out().toString(), m.rows(), line(s.toArgs()));
    }

    private Path modelFile(int width) {
        return dir.resolve("runs").resolve(ReproducePlan.sizeName(width)).resolve("model.json");
    }

    /** Pre-trains one size (resuming from its newest checkpoint when interrupted); lists its checkpoints. */
    private Results.Run pretrain(int width) throws IOException {
        String name = ReproducePlan.sizeName(width);
        Path run = dir.resolve("runs").resolve(name);
        PretrainConfig model = plan.model(width);
        Files.createDirectories(run);
        AtomicFiles.writeString(modelFile(width), model.toJson().toPrettyString() + "\n");
        PretrainSettings settings = PretrainSettings.recipe(dir.resolve("data/train").toString(), dir.resolve("data/val").toString(),
                modelFile(width).toString(), run.toString(), plan.steps(), plan.batch(), plan.lr(), plan.seed(), plan.checkpointEvery(),
                plan.valSamples(), plan.checkpoints() + 1);
        List<String> args = new ArrayList<>(settings.toArgs());
        args.addAll(List.of("--resume", "auto"));
        long params = new Aim(model.trunk(), false).parameterCount();
        return results.once("pretrain-" + name, Results.Run.class, () -> {
            log.printf("aim4j: pre-training %s (%,d trunk parameters), %d steps%n", name, params, plan.steps());
            new PretrainEngine(settings, model, SingleProcess.INSTANCE, line -> log.println("aim4j: " + line)).run(PretrainEngine.Resume.AUTO, ProgressListener.NONE);
            List<MetricsLog.Step> metrics = new MetricsLog(run.resolve("metrics.jsonl")).read();
            Map<Long, MetricsLog.Step> byStep = metrics.stream().collect(Collectors.toMap(MetricsLog.Step::step, Function.identity()));
            List<Results.Checkpoint> cps = new ArrayList<>();
            for (CheckpointStore.Checkpoint c : new CheckpointStore(run, settings.keepCheckpoints()).list()) {
                cps.add(new Results.Checkpoint(c.step(), byStep.get(c.step()).valLoss(), c.model().toString(), c.modelSha256()));
            }
            return new Results.Run(width, name, params, run.toString(), metrics.getLast().elapsedS(), cps, line(args));
        });
    }

    /** One probe under a protocol, stored as {@code about} says (what was probed) with the chosen grid point's numbers. */
    private Results.Probe probe(String name, ProbeSettings.Trunk trunk, int width, Path out, ReproducePlan.Probe protocol,
                                Function<Measured, Results.Probe> about) throws IOException {
        ProbeSettings s = new ProbeSettings(trunk, modelFile(width).toString(), dir.resolve("data/train"), dir.resolve("data/test"), out, null,
                protocol.epochs(), ProbeSettings.BATCH, protocol.lrs(), List.of(ProbeSettings.WEIGHT_DECAY), ProbeSettings.HOLDOUT,
                protocol.trainLimit() > 0 ? protocol.trainLimit() : Long.MAX_VALUE, protocol.testLimit() > 0 ? protocol.testLimit() : Long.MAX_VALUE,
                plan.seed(), "none", false);
        return results.once(name, Results.Probe.class, () -> {
            log.println("aim4j: " + name);
            long t0 = System.nanoTime();
            ProbeResult r = ProbeEngine.run(s, SingleProcess.INSTANCE, log);
            return about.apply(new Measured(r, seconds(t0), line(s.toArgs())));
        });
    }

    /** A probe run's result with its time and command line. */
    private record Measured(ProbeResult result, double seconds, String command) {}

    private static Results.Probe outcome(Integer width, Long step, Long params, Double valLoss, Measured m) {
        ProbeResult.Point best = m.result().best();
        return new Results.Probe(width, step, params, valLoss, best.testTop1(), best.heldOutTop1(), best.lr(), m.result().trainImages(),
                m.result().testImages(), m.seconds(), m.command());
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    /** A command line as a person would type it. */
    static String line(List<String> args) {
        return "aim4j " + args.stream().map(a -> a.matches("[A-Za-z0-9_./:,=+@-]+") ? a : "'" + a.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
    }
}
