package ai.aim4j.train;

import ai.aim4j.run.Counts;
import ai.aim4j.run.Precision;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every setting of a pre-training run, with the recipe's defaults; read from a JSON or YAML file,
 * overridden by flags (each key's flag is {@code --key-name}), and written to
 * {@code RUN/config.json} as the run's effective configuration.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record PretrainSettings(
        @JsonProperty("data") String data,
        @JsonProperty("val_data") String valData,
        @JsonProperty("model") String model,
        @JsonProperty("out") String out,
        @JsonProperty("steps") Long steps,
        @JsonProperty("epochs") Double epochs,
        @JsonProperty("batch_size") int batchSize,
        @JsonProperty("grad_accum") int gradAccum,
        @JsonProperty("lr") double lr,
        @JsonProperty("warmup_fraction") double warmupFraction,
        @JsonProperty("weight_decay") double weightDecay,
        @JsonProperty("beta1") double beta1,
        @JsonProperty("beta2") double beta2,
        @JsonProperty("eps") double eps,
        @JsonProperty("grad_clip") double gradClip,
        @JsonProperty("seed") long seed,
        @JsonProperty("augment") String augment,
        @JsonProperty("dtype") String dtype,
        @JsonProperty("val_every") long valEvery,
        @JsonProperty("val_samples") long valSamples,
        @JsonProperty("checkpoint_every") long checkpointEvery,
        @JsonProperty("keep_checkpoints") int keepCheckpoints,
        @JsonProperty("param_check_every") long paramCheckEvery,
        @JsonProperty("skip_nonfinite") boolean skipNonfinite,
        @JsonProperty("loader_threads") int loaderThreads) {

    /** Keys a run adds to its {@code config.json} beyond the settings: the steps it works out, and the model's whole config. */
    public static final String DERIVED_TOTAL_STEPS = "total_steps";
    public static final String DERIVED_MODEL_CONFIG = "model_config";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The recipe's values for everything a run does not have to name. */
    public static ObjectNode defaults() {
        ObjectNode n = JSON.createObjectNode();
        n.put("batch_size", 64);
        n.put("grad_accum", 1);
        n.put("lr", 1e-3);
        n.put("warmup_fraction", 0.025);
        n.put("weight_decay", 0.05);
        n.put("beta1", 0.9);
        n.put("beta2", 0.95);
        n.put("eps", 1e-8);
        n.put("grad_clip", 1.0);
        n.put("seed", 0);
        n.put("augment", "auto");
        n.put("dtype", "fp32");
        n.put("val_every", 100);
        n.put("val_samples", 2000);
        n.put("checkpoint_every", 100);
        n.put("keep_checkpoints", 3);
        n.put("param_check_every", 10);
        n.put("skip_nonfinite", false);
        n.put("loader_threads", Math.max(1, Runtime.getRuntime().availableProcessors() - 1));
        return n;
    }

    /**
     * The recipe for a run of {@code steps} steps of {@code batchSize} images at peak learning rate
     * {@code lr}, validating and checkpointing every {@code every} steps and keeping {@code keep}
     * checkpoints, in {@code precision}; everything else at its default.
     */
    public static PretrainSettings recipe(String data, String valData, String model, String out, long steps, int batchSize, double lr,
                                          long seed, long every, long valSamples, int keep, Precision precision) {
        ObjectNode n = defaults();
        n.put("data", data).put("model", model).put("out", out).put("steps", steps).put("batch_size", batchSize).put("lr", lr)
                .put("seed", seed).put("val_every", every).put("val_samples", valSamples).put("checkpoint_every", every)
                .put("keep_checkpoints", keep).put("dtype", precision.toString());
        if (valData != null) {
            n.put("val_data", valData);
        }
        return from(n);
    }

    /** Reads a settings file (JSON, or YAML by its extension) as an object to merge flags into. */
    public static ObjectNode readFile(Path file) throws IOException {
        String name = file.getFileName().toString();
        ObjectMapper m = name.endsWith(".yaml") || name.endsWith(".yml") ? YAML : JSON;
        try {
            JsonNode node = m.readTree(Files.readString(file));
            if (node == null || !node.isObject()) {
                throw new IOException(file + ": run settings must be a mapping of names to values");
            }
            ObjectNode settings = (ObjectNode) node;
            // A run's own config.json may be given back: what the run derived is derived again.
            settings.remove(List.of(DERIVED_TOTAL_STEPS, DERIVED_MODEL_CONFIG));
            ObjectNode trial = defaults();
            trial.setAll(settings);
            JSON.treeToValue(trial, PretrainSettings.class);
            return settings;
        } catch (JacksonException e) {
            throw new IOException(file + ": unreadable run settings: " + e.getOriginalMessage(), e);
        }
    }

    /** Sets one setting of merged values (a flag's value over the file's and the defaults). */
    public static void set(ObjectNode merged, String key, Object value) {
        merged.set(key, JSON.valueToTree(value));
    }

    /** Builds the settings from merged values, checking them. */
    public static PretrainSettings from(ObjectNode merged) {
        PretrainSettings s;
        try {
            s = JSON.treeToValue(merged, PretrainSettings.class);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("invalid run settings: " + e.getOriginalMessage());
        }
        s.check();
        return s;
    }

    private void check() {
        require(data != null, "--data is required");
        require(model != null, "--model is required");
        require(out != null, "--out is required");
        require((steps == null) != (epochs == null), "give exactly one of --steps and --epochs");
        if (steps != null) {
            Counts.atLeast("--steps", steps, 1);
        }
        require(epochs == null || epochs > 0, "--epochs must be positive, got " + epochs);
        Counts.atLeast("--loader-threads", loaderThreads, 1);
        Counts.atLeast("--val-samples", valSamples, 1);
        // torch.optim.AdamW's own bounds on its hyper-parameters.
        require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "--beta1 and --beta2 must be in [0, 1), got " + beta1 + " and " + beta2);
        require(eps >= 0 && weightDecay >= 0, "--eps and --weight-decay must not be negative, got " + eps + " and " + weightDecay);
        require(warmupFraction >= 0 && warmupFraction <= 1, "--warmup-fraction must be in [0, 1], got " + warmupFraction);
        require(batchSize > 0 && gradAccum > 0 && batchSize % gradAccum == 0, "--batch-size must be a positive multiple of --grad-accum");
        require(lr > 0 && gradClip >= 0 && keepCheckpoints >= 1 && checkpointEvery > 0 && valEvery > 0 && paramCheckEvery > 0,
                "lr, clip, checkpoint, validation and parameter-check intervals must be positive");
        require(switch (dtype) {
            case "fp32", "bf16" -> true;
            case "fp16" -> throw new IllegalArgumentException("--dtype fp16 is not offered: CPU fp16 runs 50-120x slower than fp32;"
                    + " use --dtype bf16 (mixed precision) or fp32");
            default -> false;
        }, "--dtype takes fp32 or bf16 (mixed precision)");
        require(augment.equals("auto") || augment.equals("none") || augment.equals("rrc") || augment.equals("rrc+jitter"),
                "--augment takes auto, none, rrc or rrc+jitter");
    }

    /** The arithmetic of the forward and backward passes ({@code dtype}). */
    public Precision precision() {
        return Precision.of(dtype);
    }

    private static boolean require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
        return true;
    }

    /** The settings as {@code config.json} holds them. */
    public ObjectNode toJson() {
        return JSON.valueToTree(this);
    }

    /** The flag of a setting: {@code val_every} is {@code --val-every}. */
    public static String flag(String key) {
        return "--" + key.replace('_', '-');
    }

    /** The equivalent {@code aim4j pretrain} command line: every setting that differs from its default, as its flag. */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>(List.of("pretrain"));
        ObjectNode defaults = defaults();
        toJson().properties().forEach(e -> {
            JsonNode v = e.getValue();
            if (v.isNull() || v.equals(defaults.get(e.getKey())) || (v.isNumber() && defaults.has(e.getKey())
                    && v.asDouble() == defaults.get(e.getKey()).asDouble())) {
                return;
            }
            args.add(flag(e.getKey()));
            if (!v.isBoolean()) {
                args.add(v.asText());
            }
        });
        return args;
    }
}
