package ai.aim4j.train;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.transform.Transform;
import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.AimPretraining;
import ai.aim4j.model.Initializer;
import ai.aim4j.model.PretrainConfig;
import ai.aim4j.model.naming.L3mLayout;
import ai.aim4j.model.optim.AdamW;
import ai.aim4j.model.optim.DecayGroups;
import ai.aim4j.model.optim.LrSchedule;
import ai.aim4j.model.tensor.HostTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * The AIM pre-training loop: sampled prefixes, forward and backward over micro-batches, global-norm
 * clipping, AdamW on the recipe's schedule, metrics, validation and checkpoints. Everything random
 * is a function of {@code (seed, epoch, sample id)} and the sampler cursor is checkpointed, so a run
 * resumed from any checkpoint ends with the same parameters, bit for bit, as one never interrupted.
 */
public final class PretrainEngine {
    /** Seed of the validation prefixes: fixed, so every run and checkpoint is scored on the same task. */
    private static final long VALIDATION_SEED = 0x5EEDL;

    private final PretrainSettings s;
    private final PretrainConfig config;
    private final Consumer<String> log;

    /** Raised when a loss or gradient is not finite and skipping was not asked for. */
    public static final class NonFiniteException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NonFiniteException(String message) {
            super(message);
        }
    }

    public PretrainEngine(PretrainSettings settings, PretrainConfig config, Consumer<String> log) {
        this.s = settings;
        this.config = config;
        this.log = log;
    }

    /** Runs to the last step, resuming per {@code resume} ({@code auto}, a checkpoint folder, or null for a fresh start). */
    public Path run(String resume, LongConsumer progress) throws IOException {
        Path out = Path.of(s.out());
        Files.createDirectories(out);
        CheckpointStore store = new CheckpointStore(out, s.keepCheckpoints());
        MetricsLog metrics = new MetricsLog(out.resolve("metrics.jsonl"));
        try (ShardSet data = ShardSet.open(Path.of(s.data()));
             ShardSet val = s.valData() == null ? null : ShardSet.open(Path.of(s.valData()))) {
            long total = s.steps() != null ? s.steps() : (long) Math.ceil(s.epochs() * data.size() / s.batchSize());
            writeEffectiveConfig(out, total);
            Path from = resumePoint(resume, store);
            long step = 0;
            Sampler.Cursor cursor = new Sampler.Cursor(0, 0);
            SequencedMap<String, HostTensor> weights;
            CheckpointStore.Loaded loaded = from == null ? null : CheckpointStore.load(from);
            try {
                if (loaded == null) {
                    weights = new LinkedHashMap<>(Initializer.materialize(AimPretraining.parameterShapes(config), s.seed()));
                } else {
                    weights = L3mLayout.toInternal(loaded.model().tensors());
                    step = loaded.step();
                    cursor = new Sampler.Cursor(loaded.state().path("cursor").path("epoch").asLong(),
                            loaded.state().path("cursor").path("position").asLong());
                    log.accept("resuming from " + from + " (step " + step + ")");
                }
                // Lines past the starting step come from a run that died after it (or before its first checkpoint).
                metrics.truncateAfter(step);
                try (AimPretraining model = AimPretraining.create(config, weights, DataType.FLOAT32, from == null ? "init" : from.toString());
                     AdamW opt = new AdamW(model.parameters(), new AdamW.Hyper(s.beta1(), s.beta2(), s.eps(), s.weightDecay()),
                             new DecayGroups(DecayGroups.RECIPE_EXCLUDES));
                     BatchLoader loader = new BatchLoader(data, new Sampler(data.size(), s.seed(), 0, 1), cursor,
                             s.batchSize() / s.gradAccum(), transform(data, true), s.seed(), s.loaderThreads(), 4, false, log)) {
                    // Timing stays out of the checkpoint (whose files are bit-identical across resumes): the log holds it.
                    List<JsonNode> logged = metrics.read();
                    double elapsed = logged.isEmpty() ? 0 : logged.getLast().path("elapsed_s").asDouble();
                    if (loaded != null) {
                        opt.load(loaded.optimizer().tensors(), loaded.state().path("optimizer_steps").asLong());
                        loaded.close();
                        loaded = null;
                    }
                    new Loop(model, opt, loader, val, store, metrics, total, elapsed).run(step, cursor, progress);
                }
            } finally {
                if (loaded != null) {
                    loaded.close();
                }
            }
            return store.list().isEmpty() ? null : store.list().getLast();
        }
    }

    private Path resumePoint(String resume, CheckpointStore store) throws IOException {
        if (resume == null) {
            if (!store.list().isEmpty()) {
                throw new IllegalArgumentException(store.dir() + " already holds checkpoints: pass --resume auto to continue the run,"
                        + " or choose another --out");
            }
            return null;
        }
        if (resume.equals("auto")) {
            return store.newestValid(log);
        }
        return Path.of(resume);
    }

    private void writeEffectiveConfig(Path out, long total) throws IOException {
        ObjectNode n = s.toJson();
        n.put("total_steps", total);
        n.set("model_config", config.toJson());
        AtomicFiles.writeString(out.resolve("config.json"), n.toPrettyString() + "\n");
    }

    private Transform transform(ShardSet data, boolean training) {
        return ModelInput.transform(config.trunk(), data, s.augment(), training);
    }

    /** One run's mutable state and its steps. */
    private final class Loop {
        private final AimPretraining model;
        private final AdamW opt;
        private final BatchLoader loader;
        private final ShardSet val;
        private final CheckpointStore store;
        private final MetricsLog metrics;
        private final long total;
        private final LrSchedule schedule;
        private final int tokens;
        /** Seconds the run has taken up to its starting checkpoint (earlier sessions of a resumed run). */
        private final double elapsedBefore;
        private final long started = System.nanoTime();
        private long skipped;

        Loop(AimPretraining model, AdamW opt, BatchLoader loader, ShardSet val, CheckpointStore store, MetricsLog metrics, long total,
             double elapsedBefore) {
            this.elapsedBefore = elapsedBefore;
            this.model = model;
            this.opt = opt;
            this.loader = loader;
            this.val = val;
            this.store = store;
            this.metrics = metrics;
            this.total = total;
            this.schedule = new LrSchedule(s.lr(), 1e-6, 0.0, s.warmupFraction(), total);
            this.tokens = config.trunk().numPatches();
        }

        void run(long start, Sampler.Cursor cursor, LongConsumer progress) throws IOException {
            TrainStep trainStep = new TrainStep(model, opt);
            for (long step = start; step < total; step++) {
                long t0 = System.nanoTime();
                double lr = schedule.at(step);
                int images = 0;
                for (int k = 0; k < s.gradAccum(); k++) {
                    try (Batch batch = loader.next(); NDManager scope = NDManager.newBaseManager()) {
                        int[] shape = batch.shape();
                        NDArray x = scope.create(batch.buffer(), new Shape(shape[0], shape[1], shape[2], shape[3]), DataType.FLOAT32);
                        NDArray mask = scope.create(PrefixLengths.mask(s.seed(), batch.epochs(), batch.ids(), tokens), new Shape(batch.size(), tokens));
                        trainStep.accumulate(x, mask);
                        images += batch.size();
                        cursor = batch.cursorAfter();
                    }
                }
                TrainStep.Result result = trainStep.finish(lr, s.gradClip());
                double lossValue = result.loss();
                if (!result.applied()) {
                    if (!s.skipNonfinite()) {
                        throw new NonFiniteException("step " + step + ": the " + (Double.isFinite(lossValue) ? "gradient norm" : "loss")
                                + " is not finite; the run stopped" + lastCheckpointNote() + " (pass --skip-nonfinite to skip such steps)");
                    }
                    skipped++;
                    log.accept("step " + step + ": non-finite " + (Double.isFinite(lossValue) ? "gradient" : "loss") + ", step skipped");
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                long done = step + 1;
                ObjectNode line = metrics.line();
                line.put("step", done).put("loss", lossValue).put("lr", lr).put("grad_norm", result.gradNorm()).put("clip_coef", result.clipCoef())
                        .put("images_per_s", images / seconds).put("tokens_per_s", images * (double) tokens / seconds)
                        .put("skipped_steps", skipped).put("epoch", cursor.epoch()).put("rss_mb", ProcessMemory.residentBytes() / 1048576)
                        .put("live_ndarrays", ProcessMemory.liveNDArrays());
                if (val != null && (done % s.valEvery() == 0 || done == total)) {
                    line.put("val_loss", validate());
                }
                line.put("elapsed_s", elapsedBefore + (System.nanoTime() - started) / 1e9);
                metrics.append(line);
                if (done % s.checkpointEvery() == 0 || done == total) {
                    ObjectNode state = metrics.line();
                    state.put("step", done).put("optimizer_steps", opt.steps()).put("skipped_steps", skipped).put("seed", s.seed());
                    state.putObject("cursor").put("epoch", cursor.epoch()).put("position", cursor.position());
                    store.save(done, L3mLayout.fromInternal(model.stateDict()), opt.state(), state);
                }
                progress.accept(done);
            }
        }

        private String lastCheckpointNote() {
            try {
                List<Path> all = store.list();
                return all.isEmpty() ? " before its first checkpoint" : "; the last good checkpoint is " + all.getLast();
            } catch (IOException e) {
                return "";
            }
        }

        /** Mean loss over the first {@code val_samples} validation images with fixed prefixes, no gradients. */
        double validate() {
            long n = Math.min(val.size(), s.valSamples());
            int micro = s.batchSize() / s.gradAccum();
            double sum = 0;
            double count = 0;
            try (BatchLoader vl = new BatchLoader(val, new Sampler(val.size(), 0, 0, 1), new Sampler.Cursor(0, 0), micro, transform(val, false),
                    0, s.loaderThreads(), 2, false, log)) {
                for (long seen = 0; seen < n; ) {
                    try (Batch batch = vl.next(); NDManager scope = NDManager.newBaseManager()) {
                        int[] shape = batch.shape();
                        int take = (int) Math.min(batch.size(), n - seen);
                        NDArray x = scope.create(batch.buffer(), new Shape(shape[0], shape[1], shape[2], shape[3]), DataType.FLOAT32)
                                .get("0:" + take);
                        long[] ids = java.util.Arrays.copyOf(batch.ids(), take);
                        NDArray mask = scope.create(PrefixLengths.mask(VALIDATION_SEED, new long[take], ids, tokens), new Shape(take, tokens));
                        var loss = model.forward(x, mask).loss();
                        sum += loss.sum().toType(DataType.FLOAT64, false).getDouble();
                        count += loss.count();
                        seen += batch.size() + batch.skipped();
                    }
                }
            }
            return sum / count;
        }
    }
}
