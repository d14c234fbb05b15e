package ai.aim4j.cli;

import ai.aim4j.interop.python.PythonConfigs;
import ai.aim4j.model.AimConfig;
import ai.aim4j.model.AimWeights;
import ai.aim4j.model.PretrainConfig;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/** How a command picks its model: a preset, a JSON or Python config file, or the weights' own shapes. */
public final class ModelOptions {
    @Option(names = "--preset", description = "a released geometry: ${COMPLETION-CANDIDATES}", completionCandidates = Presets.class)
    String preset;

    @Option(names = "--config", description = "a model config: JSON (ml-aim key names) or Python (get_config() returning a dict)")
    Path config;

    @Option(names = "--probe-layers", description = "blocks averaged for the probe: last, best, or a list such as 12,13,14")
    String probeLayers;

    @Option(names = "--allow-unexpected-keys", description = "ignore checkpoint keys the model does not have (default: strict)")
    boolean allowUnexpected;

    /** The preset names, for Picocli's completion and help. */
    static final class Presets implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return AimConfig.presetNames().iterator();
        }
    }

    boolean given() {
        return preset != null || config != null;
    }

    /**
     * The chosen config; when neither a preset nor a file is given, the one implied by the weights
     * (their {@code aim4j_config} metadata when aim4j wrote them, else their shapes).
     */
    AimConfig resolve(NamedTensors source) throws IOException {
        Map<String, HostTensor> weights = source == null ? null : source.tensors();
        if (preset != null && config != null) {
            throw new IllegalArgumentException("give either --preset or --config, not both");
        }
        AimConfig c;
        if (preset != null) {
            c = AimConfig.preset(preset);
        } else if (config != null) {
            c = load(config);
        } else if (source != null) {
            c = trunk(null, source);
        } else {
            throw new IllegalArgumentException("choose a model with --preset NAME or --config FILE");
        }
        if (weights != null && weights.containsKey("head.linear.weight")) {
            c = c.withNumClasses((int) weights.get("head.linear.weight").shape()[0]);
        }
        return probeLayers == null ? c : c.withProbeLayers(c.resolveProbeLayers(probeLayers));
    }

    /** The trunk geometry: a preset, a model config (a pre-training config's trunk), or the weights' own. */
    public static AimConfig trunk(String spec, NamedTensors weights) throws java.io.IOException {
        if (spec == null) {
            if (weights == null) {
                throw new IllegalArgumentException("--random-trunk and --pixels need --model");
            }
            String stored = weights.metadata().get("aim4j_config");
            AimConfig hints = stored == null ? null : AimConfig.fromJson(new ObjectMapper().readTree(stored), "stored");
            return AimWeights.inferConfig(weights.tensors(), hints);
        }
        if (AimConfig.presetNames().contains(spec)) {
            return AimConfig.preset(spec);
        }
        JsonNode json = configJson(spec);
        String name = Path.of(spec).getFileName().toString();
        return json.has("decoder") ? PretrainConfig.fromJson(json, name).trunk() : AimConfig.fromJson(json, name);
    }

    /** A model config file as JSON: read, or for a {@code .py} file evaluated in the GraalPy sandbox. */
    static JsonNode configJson(String spec) throws IOException {
        Path f = Path.of(spec);
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException("--model " + spec + " is neither a preset (" + String.join(", ", AimConfig.presetNames())
                    + ") nor a config file");
        }
        return new ObjectMapper().readTree(spec.endsWith(".py") ? PythonConfigs.evaluateToJson(f) : Files.readString(f));
    }

    /** Reads a JSON config (a pre-training config gives its trunk), or evaluates a Python one in the GraalPy sandbox. */
    static AimConfig load(Path file) throws IOException {
        try {
            return trunk(file.toString(), null);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }
}
