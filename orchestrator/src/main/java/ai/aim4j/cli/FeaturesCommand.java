package ai.aim4j.cli;

import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.transform.EvalTransform;
import ai.aim4j.arrow.transform.Image;
import ai.aim4j.arrow.transform.ImageDecoder;
import ai.aim4j.arrow.transform.Normalization;
import ai.aim4j.model.Aim;
import ai.aim4j.model.AimConfig;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.probe.FeatureCache;
import ai.aim4j.train.ModelInput;
import ai.aim4j.weights.Npy;
import ai.aim4j.weights.WeightFiles;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aim4j features}: per-image probe features (mean of the selected blocks) as .npy files. */
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
    List<Path> images = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if ((data == null) == images.isEmpty()) {
            throw new IllegalArgumentException("give image files or --data, not both and not neither");
        }
        NamedTensors tensors = WeightFiles.read(weights);
        AimConfig config = model.resolve(tensors);
        if (data != null) {
            return exportDataset(config, tensors);
        }
        if (config.imgSize()[0] != config.imgSize()[1]) {
            throw new IllegalArgumentException("ml-aim's eval transform makes square crops; the model takes " + config.imgSize()[0] + "x"
                    + config.imgSize()[1]);
        }
        EvalTransform transform = new EvalTransform(config.imgSize()[0], Normalization.imagenetFor(config.channels()));
        long imageBytes = 4L * config.channels() * config.imgSize()[0] * config.imgSize()[1];
        Files.createDirectories(out);
        Set<String> stems = new LinkedHashSet<>();
        for (Path p : images) {
            if (!stems.add(stem(p))) {
                throw new IllegalArgumentException("two images would both write " + stem(p) + ".npy; rename one of them");
            }
        }
        int deepest = java.util.Arrays.stream(config.probeLayers()).max().orElseThrow();
        try (Aim aim = Aim.load(config, tensors, DataType.FLOAT32, weights.toString(), model.allowUnexpected)) {
            for (int start = 0; start < images.size(); start += batch) {
                List<Path> chunk = images.subList(start, Math.min(images.size(), start + batch));
                // One manager per batch: everything the batch allocates is freed with it.
                try (NDManager scope = NDManager.newBaseManager(); Arena arena = Arena.ofConfined()) {
                    MemorySegment pixels = arena.allocate(imageBytes * chunk.size(), 64);
                    for (int i = 0; i < chunk.size(); i++) {
                        Image image;
                        try {
                            image = ImageDecoder.decode(Files.readAllBytes(chunk.get(i)));
                        } catch (IOException e) {
                            throw new IOException(chunk.get(i) + ": " + e.getMessage(), e);
                        }
                        transform.apply(image, null, pixels, i * imageBytes);
                    }
                    NDArray x = scope.create(pixels.asByteBuffer().order(ByteOrder.nativeOrder()),
                            new Shape(chunk.size(), config.channels(), config.imgSize()[0], config.imgSize()[1]), DataType.FLOAT32);
                    NDArray features = aim.averageProbeFeatures(aim.extractFeatures(x, deepest, null));
                    if (pool) {
                        features = features.mean(new int[] {1});
                    }
                    for (int i = 0; i < chunk.size(); i++) {
                        Npy.write(out.resolve(stem(chunk.get(i)) + ".npy"), HostTensor.fromNDArray(features.get(i)));
                    }
                }
                System.out.printf("%d/%d images%n", Math.min(images.size(), start + batch), images.size());
            }
        }
        System.out.printf("wrote %d feature files to %s (blocks %s of %s)%n", images.size(), out,
                java.util.Arrays.toString(config.probeLayers()), config.name());
        return 0;
    }

    /** Features of every image of a dataset, in its order, as Arrow feature shards with ids and labels. */
    private int exportDataset(AimConfig config, NamedTensors tensors) throws java.io.IOException {
        long start = System.nanoTime();
        try (ShardSet set = ShardSet.open(data);
             Aim aim = Aim.load(config, tensors, DataType.FLOAT32, weights.toString(), model.allowUnexpected);
             FeatureCache cache = FeatureCache.compute(aim, set, ModelInput.transform(config, set, "none", false), id -> 0,
                     new long[] {set.size()}, batch, Math.max(1, Runtime.getRuntime().availableProcessors() - 1))[0]) {
            java.util.Map<String, Object> params = new java.util.LinkedHashMap<>();
            params.put("trunk", weights.toString());
            params.put("config", config.toJson().toString());
            params.put("data", data.toString());
            cache.write(out, new ai.aim4j.arrow.DatasetInfo(set.info().classNames(), set.info().split(), "features of " + data), params);
            System.out.printf("wrote %s: features of %d images, (%d, %d) float32 each (blocks %s), %.1f s%n", out, cache.rows(),
                    config.numPatches(), config.dim(), java.util.Arrays.toString(config.probeLayers()), (System.nanoTime() - start) / 1e9);
        }
        return 0;
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
