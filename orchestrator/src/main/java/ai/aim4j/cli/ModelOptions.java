package ai.aim4j.cli;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.ModelSpecs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import picocli.CommandLine.Option;

/** How a command picks its model: a preset, a JSON or Python config file, or the weights' own shapes. */
final class ModelOptions {
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
        public Iterator<String> iterator() {
            return AimConfig.presetNames().iterator();
        }
    }

    /** The preset or config file named, or null to infer the model from weights. */
    String spec() {
        if (preset != null && config != null) {
            throw new IllegalArgumentException("give either --preset or --config, not both");
        }
        if (preset != null) {
            return AimConfig.preset(preset).name(); // refuses an unknown preset by name
        }
        return config != null ? config.toString() : null;
    }

    /** The model for {@code weights} (null when there are none): see {@link ModelSpecs#forWeights}. */
    AimConfig resolve(NamedTensors weights) throws IOException {
        if (spec() == null && weights == null) {
            throw new IllegalArgumentException("choose a model with --preset NAME or --config FILE");
        }
        return ModelSpecs.forWeights(spec(), weights, probeLayers);
    }
}
