package ai.aim4j.run;

import ai.aim4j.interop.python.PythonConfigs;
import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.config.ConfigInference;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.weights.WeightFiles;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * How a run names its model: a preset ({@code aim-600M}, ...), a config file (JSON with ml-aim's
 * key names, or Python with {@code get_config()}, evaluated in the GraalPy sandbox), or nothing, when
 * the weights imply it (their stored {@code aim4j_config} as hints, else their shapes).
 */
public final class ModelSpecs {
    /** Safetensors metadata key under which aim4j stores the config of the weights it writes. */
    public static final String STORED_CONFIG = "aim4j_config";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The probe head's classifier, whose rows are the classes. */
    private static final String CLASSIFIER = "head.linear.weight";

    private ModelSpecs() {}

    /** A config file as a JSON tree: JSON as it is, {@code .py} evaluated in the sandbox. */
    public static JsonNode readConfig(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such config file");
        }
        String text = file.toString().endsWith(".py") ? PythonConfigs.evaluateToJson(file) : Files.readString(file);
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || !n.isObject()) {
                throw new IOException(file + ": a model config must be a JSON object");
            }
            return n;
        } catch (JacksonException e) {
            throw new IOException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The trunk of a preset or a config file (a pre-training config gives its trunk). */
    public static AimConfig trunk(String spec) throws IOException {
        if (AimConfig.presetNames().contains(spec)) {
            return AimConfig.preset(spec);
        }
        Path file = configFile(spec);
        JsonNode json = readConfig(file);
        try {
            return json.has("decoder") ? PretrainConfig.fromJson(json, stem(file)).trunk() : AimConfig.fromJson(json, stem(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** The trunk a preset or config file names, or, for a null spec, the one the weights imply. */
    public static AimConfig trunk(String spec, NamedTensors weights) throws IOException {
        if (spec != null) {
            return trunk(spec);
        }
        if (weights == null) {
            throw new IllegalArgumentException("name the model (a preset or a config file): there are no weights to infer it from");
        }
        return inferred(weights);
    }

    /**
     * The model to run weights with: the trunk {@code spec} names (or the weights imply), the classes
     * of the head the weights carry, and the probe layers asked for ({@code last}, {@code best}, a
     * list, or null for the config's own).
     */
    public static AimConfig forWeights(String spec, NamedTensors weights, String probeLayers) throws IOException {
        AimConfig c = trunk(spec, weights);
        HostTensor classifier = weights == null ? null : weights.tensors().get(CLASSIFIER);
        if (classifier != null) {
            c = c.withNumClasses((int) classifier.shape()[0]);
        }
        return probeLayers == null ? c : c.withProbeLayers(c.resolveProbeLayers(probeLayers));
    }

    /**
     * Reads weights files (several are merged: a backbone and its head) and builds the inference model
     * {@link #forWeights} resolves for them; the model owns the files' memory.
     */
    public static Aim loadAim(List<Path> files, String spec, String probeLayers, boolean allowUnexpected) throws IOException {
        NamedTensors tensors = WeightFiles.read(files);
        try {
            return Aim.load(forWeights(spec, tensors, probeLayers), tensors, DataType.FLOAT32, files.toString(), allowUnexpected);
        } catch (IOException | RuntimeException e) {
            tensors.close();
            throw e;
        }
    }

    /** The config the weights imply: their stored config as hints, else ml-aim's conventions. */
    public static AimConfig inferred(NamedTensors weights) throws IOException {
        String stored = weights.metadata().get(STORED_CONFIG);
        AimConfig hints = stored == null ? null : AimConfig.fromJson(JSON.readTree(stored), "stored");
        return ConfigInference.infer(weights.tensors(), hints);
    }

    /** The pre-training model of a preset (the paper's pixel head) or a config file with a decoder section. */
    public static PretrainConfig pretraining(String spec) throws IOException {
        if (AimConfig.presetNames().contains(spec)) {
            return PretrainConfig.preset(spec);
        }
        Path file = configFile(spec);
        try {
            return PretrainConfig.fromJson(readConfig(file), stem(file));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static Path configFile(String spec) {
        Path f = Path.of(spec);
        if (!Files.isRegularFile(f)) {
            throw new IllegalArgumentException("'" + spec + "' is neither a preset (" + String.join(", ", AimConfig.presetNames())
                    + ") nor a config file");
        }
        return f;
    }

    private static String stem(Path file) {
        return file.getFileName().toString().replaceFirst("\\.(json|py)$", "");
    }
}
