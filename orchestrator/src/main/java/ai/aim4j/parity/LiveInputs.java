package ai.aim4j.parity;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.ListedSamples;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.data.ModelInput;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * The batch a live parity check runs on both sides: {@code images} {@code (B, C, H, W)} float32 and a
 * {@code prefix_mask} {@code (B, N)} whose {@code true} entries are the causal (non-prefix) tokens,
 * the fixtures' convention. Images are standard normal draws or a dataset's first images through
 * the evaluation transform; prefix lengths are drawn from 1 to N - 1 so every row has a prefix and a
 * causal part.
 */
final class LiveInputs {
    private LiveInputs() {}

    /** {@code n} standard-normal images for {@code config}, seeded. */
    static SequencedMap<String, HostTensor> random(AimConfig config, int n, long seed) {
        int[] img = config.imgSize();
        float[] pixels = new float[n * config.channels() * img[0] * img[1]];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) r.nextGaussian();
        }
        return withPrefixMask(HostTensor.ofFloats(new long[] {n, config.channels(), img[0], img[1]}, pixels), config, r);
    }

    /** The first {@code n} images of a dataset as the model evaluates them (no augmentation), seeded masks. */
    static SequencedMap<String, HostTensor> fromData(AimConfig config, Path dir, int n, long seed) throws IOException {
        try (ShardSet data = ShardSet.open(dir)) {
            if (data.size() < n) {
                throw new IllegalArgumentException(dir + " has " + data.size() + " images; the check asks for " + n);
            }
            int[] first = IntStream.range(0, n).toArray();
            try (BatchLoader loader = new BatchLoader(data, new ListedSamples(first), n, ModelInput.transform(config, data, "none", false),
                    seed, 0, 0, true, warning -> {});
                 Batch batch = loader.next()) {
                int[] s = batch.shape();
                MemorySegment copy = Arena.ofAuto().allocate(batch.pixels().byteSize(), 64).copyFrom(batch.pixels());
                return withPrefixMask(new HostTensor(DType.F32, new long[] {s[0], s[1], s[2], s[3]}, copy), config, new SplittableRandom(seed));
            }
        }
    }

    private static SequencedMap<String, HostTensor> withPrefixMask(HostTensor images, AimConfig config, SplittableRandom r) {
        int b = (int) images.shape()[0];
        int tokens = config.numPatches();
        MemorySegment mask = Arena.ofAuto().allocate((long) b * tokens, 64);
        for (int i = 0; i < b; i++) {
            int prefix = tokens > 1 ? 1 + r.nextInt(tokens - 1) : 0;
            for (int j = prefix; j < tokens; j++) {
                mask.set(ValueLayout.JAVA_BYTE, (long) i * tokens + j, (byte) 1);
            }
        }
        SequencedMap<String, HostTensor> inputs = new LinkedHashMap<>();
        inputs.put("images", images);
        inputs.put("prefix_mask", new HostTensor(DType.BOOL, new long[] {b, tokens}, mask));
        return inputs;
    }
}
