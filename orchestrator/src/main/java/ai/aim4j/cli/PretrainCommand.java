package ai.aim4j.cli;

import ai.aim4j.model.AimConfig;
import ai.aim4j.model.PretrainConfig;
import ai.aim4j.train.PretrainEngine;
import ai.aim4j.train.PretrainSettings;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aim4j pretrain}: AIM pre-training with checkpoints, metrics and exact resume. */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Pre-train an AIM model on sharded data (prefix-causal attention, pixel head, normalized-pixel loss, AdamW"
                + " 0.9/0.95 with warmup + cosine). Settings come from --config (JSON or YAML) and flags; the effective ones are"
                + " written to OUT/config.json, metrics to OUT/metrics.jsonl, checkpoints to OUT/checkpoints/.")
final class PretrainCommand implements Callable<Integer> {
    @Option(names = "--config", description = "run settings file (JSON or YAML, keys as in OUT/config.json)")
    Path config;

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

    @Option(names = "--seed", description = "seed of initialization, data order, augmentation and prefixes (default 0)")
    Long seed;

    @Option(names = "--augment", description = "auto (none when the images fit the model, else rrc), none, rrc, rrc+jitter")
    String augment;

    @Option(names = "--dtype", description = "fp32 (bf16 and fp16 are refused on CPU)")
    String dtype;

    @Option(names = "--val-every", description = "steps between validations (default 100)")
    Long valEvery;

    @Option(names = "--val-samples", description = "validation images scored each time (default 2000)")
    Long valSamples;

    @Option(names = "--checkpoint-every", description = "steps between checkpoints (default 100)")
    Long checkpointEvery;

    @Option(names = "--keep-checkpoints", description = "checkpoints kept (default 3)")
    Integer keep;

    @Option(names = "--skip-nonfinite", description = "skip steps whose loss or gradients are not finite instead of stopping")
    Boolean skipNonfinite;

    @Option(names = "--loader-threads", description = "data loading threads")
    Integer loaderThreads;

    @Option(names = "--resume", description = "auto (newest valid checkpoint of OUT, if any) or a checkpoint folder")
    String resume;

    @Override
    public Integer call() throws Exception {
        ObjectNode merged = PretrainSettings.defaults();
        if (config != null) {
            merged.setAll(PretrainSettings.readFile(config));
        }
        put(merged, "data", data);
        put(merged, "val_data", valData);
        put(merged, "model", model);
        put(merged, "out", out);
        put(merged, "steps", steps);
        put(merged, "epochs", epochs);
        put(merged, "batch_size", batchSize);
        put(merged, "grad_accum", gradAccum);
        put(merged, "lr", lr);
        put(merged, "seed", seed);
        put(merged, "augment", augment);
        put(merged, "dtype", dtype);
        put(merged, "val_every", valEvery);
        put(merged, "val_samples", valSamples);
        put(merged, "checkpoint_every", checkpointEvery);
        put(merged, "keep_checkpoints", keep);
        put(merged, "skip_nonfinite", skipNonfinite);
        put(merged, "loader_threads", loaderThreads);
        PretrainSettings s = PretrainSettings.from(merged);
        PretrainConfig modelConfig = modelConfig(s.model());
        long total = s.steps() != null ? s.steps() : -1;
        try (Progress p = Progress.start("pretrain", Math.max(total, 1), "step")) {
            Path last = new PretrainEngine(s, modelConfig, line -> System.err.println("aim4j: " + line)).run(resume, p::stepTo);
            p.close();
            System.out.println("done: " + s.out() + " (last checkpoint " + last + ")");
        }
        return 0;
    }

    private static void put(ObjectNode n, String key, Object value) {
        if (value != null) {
            n.set(key, new ObjectMapper().valueToTree(value));
        }
    }

    static PretrainConfig modelConfig(String spec) throws java.io.IOException {
        if (AimConfig.presetNames().contains(spec)) {
            return PretrainConfig.preset(spec);
        }
        return PretrainConfig.fromJson(ModelOptions.configJson(spec), Path.of(spec).getFileName().toString().replaceFirst("\\.(json|py)$", ""));
    }
}
