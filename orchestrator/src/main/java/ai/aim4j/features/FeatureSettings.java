package ai.aim4j.features;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.run.Precision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What {@code aim4j features} is asked to do: features of image files (one {@code .npy} each) or of
 * a whole dataset (Arrow feature shards).
 *
 * @param weights         weights file(s); a backbone and a head file are merged
 * @param model           a preset or config file; null to infer it from the weights
 * @param probeLayers     the blocks averaged ({@code last}, {@code best}, a list), or null for the config's own
 * @param allowUnexpected ignore checkpoint keys the model does not have
 * @param out             output folder
 * @param batch           images per forward pass
 * @param pool            also average over tokens: {@code (D,)} per image instead of {@code (N, D)}
 * @param data            a dataset to featurize whole, or null
 * @param images          image files (when {@code data} is null)
 * @param precision       the arithmetic of the trunk's passes (the features are written as float32 either way)
 */
public record FeatureSettings(List<Path> weights, String model, String probeLayers, boolean allowUnexpected, Path out, int batch,
                              boolean pool, Path data, List<Path> images, Precision precision) {
    public FeatureSettings {
        weights = List.copyOf(weights);
        images = List.copyOf(images);
        if ((data == null) == images.isEmpty()) {
            throw new IllegalArgumentException("give image files or --data, not both and not neither");
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be positive");
        }
    }

    /** The equivalent {@code aim4j features} command line. */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>(List.of("features", "--weights", weights.stream().map(Path::toString).collect(Collectors.joining(","))));
        if (model != null) {
            args.addAll(List.of(AimConfig.presetNames().contains(model) ? "--preset" : "--config", model));
        }
        if (probeLayers != null) {
            args.addAll(List.of("--probe-layers", probeLayers));
        }
        if (allowUnexpected) {
            args.add("--allow-unexpected-keys");
        }
        args.addAll(List.of("--out", out.toString(), "--batch", Integer.toString(batch)));
        if (pool) {
            args.add("--pool");
        }
        if (data != null) {
            args.addAll(List.of("--data", data.toString()));
        }
        if (precision != Precision.FP32) {
            args.addAll(List.of("--dtype", precision.toString()));
        }
        images.forEach(p -> args.add(p.toString()));
        return args;
    }
}
