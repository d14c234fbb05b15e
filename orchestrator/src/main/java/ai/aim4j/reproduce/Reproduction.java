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
 * The reproduction of the paper's findings at a size that fits one machine: shard the data,
 * pre-train every model size once per seed, validate and probe each checkpoint, probe the final
 * checkpoints and both baselines per seed, pre-train the largest size on nested subsets of the
 * training data, then write the report. Each step calls its engine with typed settings and records
 * the equivalent {@code aim4j} command line next to the numbers it produced, so anyone can re-run
 * one number alone, and the environment and git revision it ran with; every finished step is
 * stored ({@link Results}) and pre-training resumes from its checkpoints, so re-running an
 * interrupted reproduction continues where it stopped.
 */
public final class Reproduction {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReproducePlan plan;
    private final Path dir;
    private final String source;
    private final PrintStream log;
    private final Results results;
    private final String version;
    /** This invocation's environment, recorded in every step it runs (computed on the first). */
    private Provenance here;

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

    /**
     * Other processes that run the units of this reproduction side by side ({@link #work()} in each),
     * started and waited for after the data are ready; this process then only gathers their results.
     */
    public interface Workers {
        /** No other process: this one runs every step itself. */
        Workers NONE = new Workers() {
            @Override
            public int jobs() {
                return 1;
            }

            @Override
            public void run() {}
        };

        /** How many processes run side by side. */
        int jobs();

        /** Runs the workers to their end; throws when one of them failed. */
        void run() throws IOException;
    }

    /**
     * A worker of a reproduction prepared in {@code dir} (its plan and data are there): what
     * {@link #work()} runs on.
     */
    public static Reproduction worker(Path dir, PrintStream log, String version) throws IOException {
        if (!Files.exists(dir.resolve("results/data.json"))) {
            throw new IllegalArgumentException(dir + " holds no prepared reproduction (plan and data): a worker starts after reproduce"
                    + " prepared them");
        }
        return new Reproduction(JSON.readValue(dir.resolve("plan.json").toFile(), ReproducePlan.class), dir, null, log, version);
    }

    /** Runs (or continues) the reproduction in this process and writes the report; returns what the report says. */
    public Report.Outcome run() throws IOException {
        return run(Workers.NONE);
    }

    /**
     * Runs (or continues) the reproduction, its units shared among {@code workers} when there are
     * several, and writes the report; returns what the report says.
     */
    public Report.Outcome run(Workers workers) throws IOException {
        Results.Data data;
        List<Findings.Trial> trials = new ArrayList<>();
        List<Findings.DataPoint> scaling = new ArrayList<>();
        Files.createDirectories(dir);
        fixPlan();
        try (WallClock clock = WallClock.start(dir.resolve("results"), workers.jobs(), here())) {
            data = prepare();
            new Claims(dir.resolve("claims")).clear();
            workers.run();
            for (long seed : plan.seedList()) {
                trials.add(trial(seed));
            }
            for (long n : plan.dataSizes()) {
                scaling.add(n == plan.trainImages() ? wholeData(trials.getFirst()) : dataRun(n));
            }
        }
        return new Report(new Findings(plan, data, trials, scaling, WallClock.total(dir.resolve("results"))), dir).write();
    }

    /**
     * Runs every unit of the reproduction that no other worker has taken, one after the other: the
     * work of one of the processes of {@code reproduce --jobs N}, which prepared the data before.
     */
    public void work() throws IOException {
        Claims claims = new Claims(dir.resolve("claims"));
        for (Unit unit : units()) {
            if (claims.take(unit.name())) {
                unit.work().run();
            }
        }
    }

    /** A part of the reproduction that depends on no other (once the data are ready). */
    private record Unit(String name, Results.Work<?> work) {}

    /**
     * The units, longest first, so that workers side by side end close together: the largest size's
     * runs, the data-scaling runs (same size), then the smaller sizes, then the baselines.
     */
    private List<Unit> units() {
        List<Unit> units = new ArrayList<>();
        List<Integer> widths = plan.widths().reversed();
        for (long seed : plan.seedList()) {
            units.add(new Unit("seed-" + seed + "-" + ReproducePlan.sizeName(widths.getFirst()), () -> size(widths.getFirst(), seed)));
        }
        for (long n : plan.dataSizes()) {
            if (n < plan.trainImages()) {
                units.add(new Unit("data-" + n, () -> dataRun(n)));
            }
        }
        for (int w : widths.subList(1, widths.size())) {
            for (long seed : plan.seedList()) {
                units.add(new Unit("seed-" + seed + "-" + ReproducePlan.sizeName(w), () -> size(w, seed)));
            }
        }
        for (long seed : plan.seedList()) {
            units.add(new Unit("seed-" + seed + "-random", () -> random(seed)));
            units.add(new Unit("seed-" + seed + "-pixels", () -> pixels(seed)));
        }
        return units;
    }

    /** Shards the data (once) and stores the model configs: what every unit needs besides the plan. */
    private Results.Data prepare() throws IOException {
        Results.Data data = data();
        for (int w : plan.widths()) {
            AtomicFiles.writeString(modelFile(w), plan.model(w).toJson().toPrettyString() + "\n");
        }
        return data;
    }

    /** Every size pre-trained and probed with one seed, and both baselines with that seed. */
    private Findings.Trial trial(long seed) throws IOException {
        List<Results.Run> runs = new ArrayList<>();
        List<Results.Probe> checkpoints = new ArrayList<>();
        List<Results.Probe> finals = new ArrayList<>();
        for (int w : plan.widths()) {
            Size size = size(w, seed);
            runs.add(size.run());
            checkpoints.addAll(size.checkpoints());
            finals.add(size.last());
        }
        return new Findings.Trial(seed, runs, checkpoints, finals, random(seed), pixels(seed));
    }

    /** One size pre-trained with one seed, the probes of its checkpoints and its final probe. */
    private record Size(Results.Run run, List<Results.Probe> checkpoints, Results.Probe last) {}

    private Size size(int w, long seed) throws IOException {
        String tag = "s" + seed;
        Path probes = probes(seed);
        Results.Run run = pretrain(w, seed, dir.resolve("data/train"), plan.trainImages(), "seed-" + seed, tag);
        List<Results.Probe> checkpoints = new ArrayList<>();
        for (Results.Checkpoint c : run.checkpoints()) {
            String step = String.format("step-%08d", c.step());
            checkpoints.add(probe("probe-" + tag + "-" + run.name() + "-" + step, new ProbeSettings.Trunk.Weights(Path.of(c.weights())), w,
                    probes.resolve(run.name()).resolve(step), plan.checkpointProbe(), seed,
                    r -> outcome(w, c.step(), seed, null, c.valLoss(), r)));
        }
        return new Size(run, checkpoints, finalProbe(run, tag, probes));
    }

    private Path probes(long seed) {
        return dir.resolve("probes").resolve("seed-" + seed);
    }

    /** The random-trunk baseline of one seed: the largest size, initialized with that seed, probed like the final checkpoints. */
    private Results.Probe random(long seed) throws IOException {
        int largest = plan.widths().getLast();
        return probe("baseline-random-s" + seed, new ProbeSettings.Trunk.Random(), largest,
                probes(seed).resolve("random-" + ReproducePlan.sizeName(largest)), plan.finalProbe(), seed,
                r -> outcome(largest, null, seed, null, null, r));
    }

    /** The raw-pixel baseline of one seed. */
    private Results.Probe pixels(long seed) throws IOException {
        return probe("baseline-pixels-s" + seed, new ProbeSettings.Trunk.Pixels(), plan.widths().getLast(), probes(seed).resolve("pixels"),
                plan.finalProbe(), seed, r -> outcome(null, null, seed, null, null, r));
    }

    /** The data-scaling point of the whole training part: the first seed's run of the largest size. */
    private static Findings.DataPoint wholeData(Findings.Trial first) {
        return new Findings.DataPoint(first.runs().getLast().images(), first.runs().getLast(), first.finals().getLast());
    }

    /** The largest size pre-trained with the first seed on the first {@code n} images of the training part, and its final probe. */
    private Findings.DataPoint dataRun(long n) throws IOException {
        Results.DataPart part = data().subsets().stream()
                .filter(p -> p.images() == n).findFirst().orElseThrow();
        Results.Run run = pretrain(plan.widths().getLast(), plan.seed(), Path.of(part.dir()), n, "data-" + n, "data" + n);
        return new Findings.DataPoint(n, run, finalProbe(run, "data" + n, dir.resolve("probes").resolve("data-" + n)));
    }

    /** The final probe of a run's last checkpoint, stored as {@code final-TAG-SIZE}. */
    private Results.Probe finalProbe(Results.Run run, String tag, Path probes) throws IOException {
        Results.Checkpoint last = run.last();
        return probe("final-" + tag + "-" + run.name(), new ProbeSettings.Trunk.Weights(Path.of(last.weights())), run.width(),
                probes.resolve(run.name()).resolve("final"), plan.finalProbe(), run.seed(),
                r -> outcome(run.width(), null, run.seed(), run.params(), last.valLoss(), r));
    }

    /** Whether {@code dir} holds a reproduction of the plan format before seeds and data sizes (whose results are not read). */
    public static boolean holdsOlderPlan(Path dir) throws IOException {
        Path file = dir.resolve("plan.json");
        return Files.exists(file) && !JSON.readTree(file.toFile()).has("seeds");
    }

    /** Stores the plan, or checks that the stored one is the same: a folder holds one experiment. */
    private void fixPlan() throws IOException {
        Path file = dir.resolve("plan.json");
        // Read back from text, so numbers compare by value and not by the Java type that held them.
        JsonNode want = JSON.readTree(plan.toJson().toString());
        if (Files.exists(file)) {
            if (holdsOlderPlan(dir)) {
                throw new IllegalArgumentException(dir + " holds a reproduction of an older plan format (one seed, no data sizes),"
                        + " whose results this aim4j does not read: choose another --out, or delete that folder to start over");
            }
            // Read through the plan's record, which fills in what older plans left out (their dtype: fp32).
            JsonNode have = JSON.readTree(JSON.readValue(file.toFile(), ReproducePlan.class).toJson().toString());
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

    /** This invocation's environment (git revision, versions, processor), gathered once. */
    private Provenance here() {
        if (here == null) {
            here = Environment.current(version);
        }
        return here;
    }

    /** The data step's result: stored once, read by every unit after. */
    private Results.Data data() throws IOException {
        return results.once("data", Results.Data.class, this::prepareData);
    }

    /**
     * Training part, validation part (held out of the training split), the test split, and the
     * data-scaling subsets (the first N images of the training part, hence nested), as shards.
     */
    private Results.Data prepareData() throws IOException {
        long t0 = System.nanoTime();
        long train = plan.trainImages();
        long val = plan.valImages();
        List<Results.DataPart> subsets = new ArrayList<>();
        for (long n : plan.dataSizes()) {
            if (n < train) {
                subsets.add(shard("train-" + n, "train", "0:" + n, 1));
            }
        }
        return new Results.Data(shard("train", "train", "0:" + train, 4), shard("val", "train", train + ":" + (train + val), 1),
                shard("test", "test", plan.testImages() > 0 ? "0:" + plan.testImages() : null, 2), subsets, seconds(t0), here());
    }

    private Results.DataPart shard(String part, String split, String range, int shards) throws IOException {
        ShardSettings s = new ShardSettings(source, dir.resolve("data").resolve(part), shards, split, null, 0, range);
        Manifest m = Sharding.run(s, ProgressListener.NONE);
        return new Results.DataPart(s.out().toString(), m.rows(), line(s.toArgs()));
    }

    /** The model config of one width, shared by its runs and probes. */
    private Path modelFile(int width) {
        return dir.resolve("models").resolve(ReproducePlan.sizeName(width) + ".json");
    }

    /**
     * Pre-trains one size with one seed on {@code images} training images in {@code DIR/runs/FOLDER/SIZE},
     * stored as {@code pretrain-TAG-SIZE} (resuming from its newest checkpoint when interrupted); lists its checkpoints.
     */
    private Results.Run pretrain(int width, long seed, Path data, long images, String folder, String tag) throws IOException {
        String name = ReproducePlan.sizeName(width);
        Path run = dir.resolve("runs").resolve(folder).resolve(name);
        PretrainConfig model = plan.model(width);
        PretrainSettings settings = PretrainSettings.recipe(data.toString(), dir.resolve("data/val").toString(),
                modelFile(width).toString(), run.toString(), plan.steps(), plan.batch(), plan.lr(), seed, plan.checkpointEvery(),
                plan.valSamples(), plan.checkpoints() + 1, plan.precision());
        List<String> args = new ArrayList<>(settings.toArgs());
        args.addAll(List.of("--resume", "auto"));
        long params = new Aim(model.trunk(), false).parameterCount();
        return results.once("pretrain-" + tag + "-" + name, Results.Run.class, () -> {
            log.printf("aim4j: pre-training %s (%,d trunk parameters), seed %d, %,d training images, %d steps%n", name, params, seed,
                    images, plan.steps());
            Files.createDirectories(run);
            new PretrainEngine(settings, model, SingleProcess.INSTANCE, line -> log.println("aim4j: " + line)).run(PretrainEngine.Resume.AUTO, ProgressListener.NONE);
            List<MetricsLog.Step> metrics = new MetricsLog(run.resolve("metrics.jsonl")).read();
            Map<Long, MetricsLog.Step> byStep = metrics.stream().collect(Collectors.toMap(MetricsLog.Step::step, Function.identity()));
            List<Results.Checkpoint> cps = new ArrayList<>();
            for (CheckpointStore.Checkpoint c : new CheckpointStore(run, settings.keepCheckpoints()).list()) {
                cps.add(new Results.Checkpoint(c.step(), byStep.get(c.step()).valLoss(), c.model().toString(), c.modelSha256()));
            }
            return new Results.Run(width, name, seed, images, params, run.toString(), metrics.getLast().elapsedS(), cps, line(args), here());
        });
    }

    /** One probe under a protocol, stored as {@code about} says (what was probed) with the chosen grid point's numbers. */
    private Results.Probe probe(String name, ProbeSettings.Trunk trunk, int width, Path out, ReproducePlan.Probe protocol, long seed,
                                Function<Measured, Results.Probe> about) throws IOException {
        ProbeSettings s = new ProbeSettings(trunk, modelFile(width).toString(), dir.resolve("data/train"), dir.resolve("data/test"), out, null,
                protocol.epochs(), ProbeSettings.BATCH, protocol.lrs(), List.of(ProbeSettings.WEIGHT_DECAY), ProbeSettings.HOLDOUT,
                protocol.trainLimit() > 0 ? protocol.trainLimit() : Long.MAX_VALUE, protocol.testLimit() > 0 ? protocol.testLimit() : Long.MAX_VALUE,
                seed, "none", false, plan.precision());
        return results.once(name, Results.Probe.class, () -> {
            log.println("aim4j: " + name);
            long t0 = System.nanoTime();
            ProbeResult r = ProbeEngine.run(s, SingleProcess.INSTANCE, log);
            return about.apply(new Measured(r, seconds(t0), line(s.toArgs())));
        });
    }

    /** A probe run's result with its time and command line. */
    private record Measured(ProbeResult result, double seconds, String command) {}

    private Results.Probe outcome(Integer width, Long step, long seed, Long params, Double valLoss, Measured m) {
        ProbeResult.Point best = m.result().best();
        return new Results.Probe(width, step, seed, params, valLoss, best.testTop1(), best.heldOutTop1(), best.lr(), m.result().trainImages(),
                m.result().testImages(), m.seconds(), m.command(), here());
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
