package ai.aim4j.cli;

import ai.aim4j.run.ModelSpecs;
import ai.aim4j.train.CheckpointStore;
import ai.aim4j.train.PretrainEngine;
import ai.aim4j.train.PretrainSettings;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code aim4j pretrain}: AIM pre-training with checkpoints, metrics and exact resume. Each setting's
 * flag is its {@code config.json} key in kebab case; flags override a {@code --config} file, which
 * overrides the recipe's defaults.
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pre-train an AIM model on sharded data (prefix-causal attention, pixel head, normalized-pixel loss, AdamW"
                + " 0.9/0.95 with warmup + cosine). Settings come from --config (JSON or YAML) and flags; the effective ones are"
                + " written to OUT/config.json, metrics to OUT/metrics.jsonl, checkpoints to OUT/checkpoints/.")
final class PretrainCommand implements Callable<Integer> {
    /** Options that are not run settings. */
    private static final Set<String> NOT_SETTINGS = Set.of("--config", "--resume");

    @Spec
    CommandSpec spec;

    @Option(names = "--config", description = "run settings file (JSON or YAML, keys as in OUT/config.json)")
    Path config;

    @Option(names = "--resume", description = "auto (newest valid checkpoint of OUT, if any) or a checkpoint folder")
    String resume;

    @Option(names = "--data", description = "training shards")
    String data;

    @Option(names = "--val-data", description = "held-out shards for the validation loss")
    String valData;

    @Option(names = "--model", description = "a preset (aim-600M, ...) or a model config file (JSON or .py) with a decoder section")
    String model;

    @Option(names = "--out", description = "run folder")
    String out;

    @Option(names = "--steps", description = "optimizer steps")
    Long steps;

    @Option(names = "--epochs", description = "passes over the data (instead of --steps)")
    Double epochs;

    @Option(names = "--batch-size", description = "images per optimizer step (default 64)")
    Integer batchSize;

    @Option(names = "--grad-accum", description = "micro-batches per step (default 1)")
    Integer gradAccum;

    @Option(names = "--lr", description = "peak learning rate (default 1e-3)")
    Double lr;

    @Option(names = "--warmup-fraction", description = "share of the steps of linear warmup (default 0.025)")
    Double warmupFraction;

    @Option(names = "--weight-decay", description = "AdamW weight decay, not applied to biases, norms and position tables (default 0.05)")
    Double weightDecay;

    @Option(names = "--beta1", description = "AdamW beta1 (default 0.9)")
    Double beta1;

    @Option(names = "--beta2", description = "AdamW beta2 (default 0.95)")
    Double beta2;

    @Option(names = "--eps", description = "AdamW eps (default 1e-8)")
    Double eps;

    @Option(names = "--grad-clip", description = "global gradient-norm clip, 0 for none (default 1.0)")
    Double gradClip;

    @Option(names = "--seed", description = "seed of initialization, data order, augmentation and prefixes (default 0)")
    Long seed;

    @Option(names = "--augment", description = "auto (none when the images fit the model, else rrc), none, rrc, rrc+jitter")
    String augment;

    @Option(names = "--dtype", description = "fp32, or bf16: mixed precision (bf16 products, float32 attention, weights,"
            + " optimizer, norms and loss; PyTorch autocast's policy but for attention) (default fp32)")
    String dtype;

    @Option(names = "--val-every", description = "steps between validations (default 100)")
    Long valEvery;

    @Option(names = "--val-samples", description = "validation images scored each time (default 2000)")
    Long valSamples;

    @Option(names = "--checkpoint-every", description = "steps between checkpoints (default 100)")
    Long checkpointEvery;

    @Option(names = "--keep-checkpoints", description = "checkpoints kept (default 3)")
    Integer keepCheckpoints;

    @Option(names = "--param-check-every", description = "steps between checks that every rank holds the same parameters (default 10)")
    Long paramCheckEvery;

    @Option(names = "--skip-nonfinite", description = "skip steps whose loss or gradients are not finite instead of stopping")
    Boolean skipNonfinite;

    @Option(names = "--loader-threads", description = "data loading threads")
    Integer loaderThreads;

    /** The recipe's defaults, overridden by the {@code --config} file, overridden by the flags given. */
    PretrainSettings settings() throws IOException {
        ObjectNode merged = PretrainSettings.defaults();
        if (config != null) {
            merged.setAll(PretrainSettings.readFile(config));
        }
        for (OptionSpec o : spec.commandLine().getParseResult().matchedOptions()) {
            String flag = o.longestName();
            if (!NOT_SETTINGS.contains(flag) && !o.usageHelp() && !o.versionHelp()) {
                PretrainSettings.set(merged, flag.substring(2).replace('-', '_'), o.getValue());
            }
        }
        return PretrainSettings.from(merged);
    }

    @Override
    public Integer call() throws Exception {
        PretrainSettings s = settings();
        return Ranks.run(comm -> {
            CheckpointStore.Checkpoint last;
            try (Progress p = new Progress()) {
                last = new PretrainEngine(s, ModelSpecs.pretraining(s.model()), comm, line -> System.err.println("aim4j: " + line))
                        .run(PretrainEngine.Resume.parse(resume), p);
            }
            if (comm.isLead()) {
                System.out.println("done: " + s.out() + " (last checkpoint " + (last == null ? "none" : last.dir()) + ")");
            }
            return 0;
        });
    }
}
