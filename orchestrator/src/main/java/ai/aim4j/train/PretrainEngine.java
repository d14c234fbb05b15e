package ai.aim4j.train;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.transform.Transform;
import ai.aim4j.data.BatchTensors;
import ai.aim4j.data.ModelInput;
import ai.aim4j.data.TrainingBatches;
import ai.aim4j.dist.Collectives;
import ai.aim4j.dist.LeadDecision;
import ai.aim4j.dist.SharedFailure;
import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.AimPretraining;
import ai.aim4j.model.PixelLoss;
import ai.aim4j.model.PrefixCausalMask;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.naming.L3mNames;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.optim.AdamW;
import ai.aim4j.model.optim.DecayGroups;
import ai.aim4j.model.optim.LrSchedule;
import ai.aim4j.run.ProcessMemory;
import ai.aim4j.run.ProgressListener;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The AIM pre-training loop: sampled prefixes, forward and backward over micro-batches, global-norm
 * clipping, AdamW on the recipe's schedule, metrics, validation and checkpoints. Everything random
 * is a function of {@code (seed, epoch, sample id)} and the sampler cursor is checkpointed, so a run
 * resumed from any checkpoint ends with the same parameters, bit for bit, as one never interrupted.
 *
 * <p>Over several ranks it is data-parallel: the sampler's global stream is dealt out one sample to
 * each rank in turn, so a global batch is the same images whatever the world size; the gradients
 * are summed over the ranks and every rank applies the same update; the lead rank writes the
 * config, metrics and checkpoints and shows progress. The checkpointed cursor is a global position,
 * so a run resumes exactly at any world size.
 */
public final class PretrainEngine {
    /** Seed of the validation prefixes: fixed, so every run and checkpoint is scored on the same task. */
    private static final long VALIDATION_SEED = 0x5EEDL;

    private final PretrainSettings s;
    private final PretrainConfig config;
    private final Collectives comm;
    /** Messages of the run, reported by the lead. */
    private final Consumer<String> log;
    /** Messages of this rank's own (an undecodable sample in its share), reported by every rank. */
    private final Consumer<String> warn;

    /** Raised (on every rank alike) when a loss or gradient is not finite and skipping was not asked for. */
    public static final class NonFiniteException extends SharedFailure {
        private static final long serialVersionUID = 1L;

        NonFiniteException(String message) {
            super(message);
        }
    }

    /** Where a run starts. */
    public sealed interface Resume {
        /** A fresh run; refused when the folder already holds checkpoints. */
        Resume FRESH = new Fresh();
        /** The newest intact checkpoint of the run folder, or a fresh start when there is none. */
        Resume AUTO = new Auto();

        /** A fresh run. */
        record Fresh() implements Resume {}

        /** The newest intact checkpoint, if any. */
        record Auto() implements Resume {}

        /** A given checkpoint folder. */
        record From(Path checkpoint) implements Resume {}

        /** {@code auto}, a checkpoint folder, or null for a fresh start: the {@code --resume} flag's values. */
        public static Resume parse(String flag) {
            return flag == null ? FRESH : flag.equals("auto") ? AUTO : new From(Path.of(flag));
        }
    }

    /**
     * @param comm the job's ranks ({@link ai.aim4j.dist.SingleProcess} for one process)
     * @param log  where messages go; the lead's run messages, every rank's own warnings
     */
    public PretrainEngine(PretrainSettings settings, PretrainConfig config, Collectives comm, Consumer<String> log) {
        this.s = settings;
        this.config = config;
        this.comm = comm;
        this.log = comm.isLead() ? log : line -> { };
        this.warn = comm.world() == 1 ? log : line -> log.accept("rank " + comm.rank() + ": " + line);
    }

    /** Images each rank puts through the model at a time: the global batch split over ranks and accumulation steps. */
    private int microBatch() {
        int parts = comm.world() * s.gradAccum();
        if (s.batchSize() % parts != 0) {
            throw new SharedFailure("--batch-size " + s.batchSize() + " does not split over " + comm.world() + " rank(s) x --grad-accum "
                    + s.gradAccum() + ": the global batch must be a multiple of " + parts);
        }
        return s.batchSize() / parts;
    }

    /** Runs to the last step from where {@code resume} says; returns the last checkpoint (on the lead; null on other ranks). */
    public CheckpointStore.Checkpoint run(Resume resume, ProgressListener progress) throws IOException {
        int micro = microBatch();
        Path out = Path.of(s.out());
        Files.createDirectories(out);
        CheckpointStore store = new CheckpointStore(out, s.keepCheckpoints());
        MetricsLog metrics = new MetricsLog(out.resolve("metrics.jsonl"));
        try (ShardSet data = ShardSet.open(Path.of(s.data()));
             ShardSet val = s.valData() == null ? null : ShardSet.open(Path.of(s.valData()))) {
            long total = s.steps() != null ? s.steps() : (long) Math.ceil(s.epochs() * data.size() / s.batchSize());
            String chosen = LeadDecision.share(comm, () -> {
                // Refused before anything is written: a fresh run over a folder with checkpoints keeps that run's config.
                Path point = resumePoint(resume, store);
                return point == null ? "" : point.toString();
            });
            Path from = chosen.isEmpty() ? null : Path.of(chosen);
            CheckpointStore.Loaded loaded = from == null ? null : CheckpointStore.load(from);
            try {
                long step = loaded == null ? 0 : loaded.state().step();
                Sampler.Cursor cursor = loaded == null ? new Sampler.Cursor(0, 0) : loaded.state().cursor();
                if (loaded != null) {
                    log.accept("resuming from " + from + " (step " + step + ")" + (comm.world() > 1 ? " on " + comm.world() + " ranks" : ""));
                }
                try (AimPretraining model = loaded == null ? AimPretraining.initialize(config, s.seed(), DataType.FLOAT32)
                        : AimPretraining.create(config, L3mNames.fromL3m(loaded.model().tensors()), DataType.FLOAT32, from.toString());
                     AdamW opt = new AdamW(model.trainableParameters(), new AdamW.Hyper(s.beta1(), s.beta2(), s.eps(), s.weightDecay()),
                             new DecayGroups(DecayGroups.RECIPE_EXCLUDES));
                     BatchLoader loader = TrainingBatches.open(data, transform(data, true), s.seed(), comm.rank(), comm.world(), cursor, micro,
                             s.loaderThreads(), warn);
                     TrainStep trainStep = new TrainStep(model, opt, comm, s.precision())) {
                    long skipped = 0;
                    if (loaded != null) {
                        opt.load(loaded.optimizer().tensors(), loaded.state().optimizerSteps());
                        skipped = loaded.state().skippedSteps();
                        loaded.close();
                        loaded = null;
                    }
                    if (comm.isLead()) {
                        // Only now that the checkpoint has loaded into this model: a resume refused leaves the run's record as it was.
                        // Lines past the starting step come from a run that died after it (or before its first checkpoint).
                        metrics.truncateAfter(step);
                        writeEffectiveConfig(out, total);
                    }
                    // Timing stays out of the checkpoint (whose files are bit-identical across resumes): the log holds it.
                    List<MetricsLog.Step> logged = comm.isLead() ? metrics.read() : List.of();
                    double elapsed = logged.isEmpty() ? 0 : logged.getLast().elapsedS();
                    ProgressListener shown = comm.isLead() ? progress : ProgressListener.NONE;
                    shown.total("pretrain", total, "step");
                    new Loop(model, opt, trainStep, loader, val, store, metrics, total, elapsed, skipped).run(step, cursor, shown);
                }
            } finally {
                if (loaded != null) {
                    loaded.close();
                }
            }
            if (!comm.isLead()) {
                return null;
            }
            List<CheckpointStore.Checkpoint> all = store.list();
            return all.isEmpty() ? null : all.getLast();
        }
    }

    private Path resumePoint(Resume resume, CheckpointStore store) throws IOException {
        return switch (resume) {
            case Resume.Fresh f -> {
                if (!store.list().isEmpty()) {
                    throw new IllegalArgumentException(store.dir() + " already holds checkpoints: pass --resume auto to continue the run,"
                            + " or choose another --out");
                }
                yield null;
            }
            case Resume.Auto a -> {
                CheckpointStore.Checkpoint c = store.newestValid(log);
                yield c == null ? null : c.dir();
            }
            case Resume.From f -> {
                // Before the run's config is written; the hashes are checked as the checkpoint loads.
                String problem = CheckpointStore.checkFiles(f.checkpoint());
                if (problem != null) {
                    throw new IOException(f.checkpoint() + ": not a checkpoint to resume from: " + problem);
                }
                yield f.checkpoint();
            }
        };
    }

    private void writeEffectiveConfig(Path out, long total) throws IOException {
        ObjectNode n = s.toJson();
        n.put(PretrainSettings.DERIVED_TOTAL_STEPS, total);
        n.set(PretrainSettings.DERIVED_MODEL_CONFIG, config.toJson());
        AtomicFiles.writeString(out.resolve("config.json"), n.toPrettyString() + "\n");
    }

    private Transform transform(ShardSet data, boolean training) {
        return ModelInput.transform(config.trunk(), data, s.augment(), training);
    }

    /** One run's mutable state and its steps. */
    private final class Loop {
        private final AimPretraining model;
        private final AdamW opt;
        private final TrainStep trainStep;
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

        Loop(AimPretraining model, AdamW opt, TrainStep trainStep, BatchLoader loader, ShardSet val, CheckpointStore store, MetricsLog metrics,
             long total, double elapsedBefore, long skipped) {
            this.model = model;
            this.opt = opt;
            this.trainStep = trainStep;
            this.loader = loader;
            this.val = val;
            this.store = store;
            this.metrics = metrics;
            this.total = total;
            this.elapsedBefore = elapsedBefore;
            this.skipped = skipped;
            this.schedule = new LrSchedule(s.lr(), 1e-6, 0.0, s.warmupFraction(), total);
            this.tokens = config.trunk().numPatches();
        }

        void run(long start, Sampler.Cursor cursor, ProgressListener progress) throws IOException {
            for (long step = start; step < total; step++) {
                long t0 = System.nanoTime();
                double lr = schedule.at(step);
                for (int k = 0; k < s.gradAccum(); k++) {
                    try (Batch batch = loader.next(); NDManager scope = NDManager.newBaseManager()) {
                        NDArray mask = scope.create(PrefixCausalMask.sample(s.seed(), batch.epochs(), batch.ids(), tokens),
                                new Shape(batch.size(), tokens));
                        trainStep.accumulate(BatchTensors.images(batch, scope), mask);
                        cursor = batch.cursorAfter();
                    }
                }
                TrainStep.Result result = trainStep.finish(lr, s.gradClip());
                // Numbered from 1, as metrics.jsonl and the checkpoints number the steps.
                long done = step + 1;
                if (!result.applied()) {
                    String what = Double.isFinite(result.loss()) ? "gradient norm" : "loss";
                    if (!s.skipNonfinite()) {
                        throw new NonFiniteException("step " + done + ": the " + what + " is not finite; the run stopped" + lastCheckpointNote()
                                + " (pass --skip-nonfinite to skip such steps)");
                    }
                    skipped++;
                    log.accept("step " + done + ": non-finite " + what + ", step skipped");
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                Double valLoss = val != null && (done % s.valEvery() == 0 || done == total) ? validate() : null;
                boolean checkpoint = done % s.checkpointEvery() == 0 || done == total;
                if (comm.world() > 1 && (checkpoint || done % s.paramCheckEvery() == 0)) {
                    ParameterChecksum.verify(comm, model.trainableParameters().values(), done);
                }
                if (comm.isLead()) {
                    metrics.append(new MetricsLog.Step(done, result.loss(), lr, result.gradNorm(), result.clipCoef(), result.images() / seconds,
                            result.images() * (double) tokens / seconds, skipped, cursor.epoch(), ProcessMemory.residentBytes() / 1048576,
                            ProcessMemory.liveNDArrays(), valLoss, elapsedBefore + (System.nanoTime() - started) / 1e9, comm.world(),
                            result.commS(), result.commBytes()));
                    if (checkpoint) {
                        store.save(L3mNames.toL3m(model, model.stateDict()), opt.state(),
                                new CheckpointStore.State(done, opt.steps(), skipped, s.seed(), cursor));
                    }
                }
                progress.done(done);
            }
        }

        private String lastCheckpointNote() {
            try {
                List<CheckpointStore.Checkpoint> all = store.list();
                return all.isEmpty() ? " before its first checkpoint" : "; the last good checkpoint is " + all.getLast().dir();
            } catch (IOException e) {
                return "";
            }
        }

        /**
         * Mean loss over the first {@code val_samples} validation images with fixed prefixes, no
         * gradients; the ranks score every {@code world}-th image each and sum their losses.
         */
        double validate() {
            long n = Math.min(val.size(), s.valSamples());
            long mine = n > comm.rank() ? (n - comm.rank() + comm.world() - 1) / comm.world() : 0;
            double[] totals = {0, 0};
            if (mine > 0) {
                scoreValidation(mine, totals);
            }
            comm.allReduceDoubles(totals);
            return totals[0] / totals[1];
        }

        /** Adds this rank's {@code mine} validation images' loss sum and term count to {@code totals}. */
        private void scoreValidation(long mine, double[] totals) {
            try (BatchLoader vl = new BatchLoader(val, new Sampler(val.size(), 0, comm.rank(), comm.world()).strided(new Sampler.Cursor(0, 0)),
                    microBatch(), transform(val, false), 0, s.loaderThreads(), 2, false, warn)) {
                for (long seen = 0; seen < mine; ) {
                    try (Batch batch = vl.next(); NDManager scope = NDManager.newBaseManager()) {
                        int take = (int) Math.min(batch.size(), mine - seen);
                        NDArray x = BatchTensors.images(batch, scope).get("0:" + take);
                        long[] ids = Arrays.copyOf(batch.ids(), take);
                        NDArray mask = scope.create(PrefixCausalMask.sample(VALIDATION_SEED, new long[take], ids, tokens), new Shape(take, tokens));
                        PixelLoss.Terms loss;
                        try (Autocast ignored = s.precision().scope()) {
                            loss = model.loss(x, mask);
                        }
                        totals[0] += loss.sum().toType(DataType.FLOAT64, false).getDouble();
                        totals[1] += loss.count();
                        seen += batch.size() + batch.skipped();
                    }
                }
            }
        }
    }
}
