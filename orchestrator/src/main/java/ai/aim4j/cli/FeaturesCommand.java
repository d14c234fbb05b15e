package ai.aim4j.cli;

import ai.aim4j.features.FeatureEngine;
import ai.aim4j.features.FeatureSettings;
import ai.aim4j.run.Precision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aim4j features}: per-image probe features (mean of the selected blocks) as .npy files, or Arrow shards of a dataset. */
@Command(name = "features", mixinStandardHelpOptions = true,
        description = "Extract per-image features (the mean of the probe blocks' outputs, (N, D) per image) with ml-aim's eval transform"
                + " (short side to ceil(S/0.875), bicubic with antialiasing, center crop, ImageNet normalization): .npy per image file,"
                + " or Arrow feature shards for a whole dataset (--data).")
final class FeaturesCommand implements Callable<Integer> {
    @Option(names = "--weights", required = true, split = ",", description = "weights file(s); a backbone and a head file are merged")
    List<Path> weights;

    @Mixin
    ModelOptions model;

    @Option(names = "--out", defaultValue = "features", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--batch", defaultValue = "8", description = "images per forward pass (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--pool", description = "also average over tokens, writing (D,) per image")
    boolean pool;

    @Option(names = "--data", description = "a whole dataset (shards, Hugging Face folder or Arrow file): writes Arrow feature shards"
            + " (id, label, float32 (N, D) features) to --out instead of .npy files")
    Path data;

    @Parameters(arity = "0..*", description = "image files (JPEG, PNG, ...)")
    List<Path> images = new ArrayList<>();

    @Option(names = "--dtype", defaultValue = "fp32", description = "fp32, or bf16: mixed precision (PyTorch autocast's policy);"
            + " features are written as float32 either way (default: ${DEFAULT-VALUE})")
    String dtype;

    FeatureSettings settings() {
        return new FeatureSettings(weights, model.spec(), model.probeLayers, model.allowUnexpected, out, batch, pool, data, images,
                Precision.of(dtype));
    }

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        FeatureSettings s = settings();
        return Ranks.run(comm -> {
            FeatureEngine.Written w;
            try (Progress p = new Progress()) {
                w = FeatureEngine.run(s, comm, p);
            }
            if (comm.isLead()) {
                print(w, start);
            }
            return 0;
        });
    }

    private void print(FeatureEngine.Written w, long start) {
        var c = w.config();
        System.out.printf("wrote %s: features of %d images, (%d, %d) float32 each%s (blocks %s of %s), %.1f s%n", w.out(), w.images(),
                c.numPatches(), c.dim(), pool ? " pooled to (D,)" : "", Arrays.toString(c.probeLayers()), c.name(),
                (System.nanoTime() - start) / 1e9);
    }
}
