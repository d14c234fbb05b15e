package ai.aim4j.features;

import ai.aim4j.arrow.DatasetInfo;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.transform.EvalTransform;
import ai.aim4j.arrow.transform.Image;
import ai.aim4j.arrow.transform.ImageDecoder;
import ai.aim4j.arrow.transform.Normalization;
import ai.aim4j.data.BatchTensors;
import ai.aim4j.data.ModelInput;
import ai.aim4j.data.PassPlan;
import ai.aim4j.dist.Collectives;
import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.probe.FeatureCache;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.run.ProgressListener;
import ai.aim4j.weights.Npy;
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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-image features: the mean of the probe blocks' outputs, {@code (N, D)} per image (or pooled
 * over tokens), with ml-aim's eval transform (short side to {@code ceil(S / 0.875)}, bicubic with
 * antialiasing, center crop, ImageNet normalization).
 */
public final class FeatureEngine {
    private FeatureEngine() {}

    /** What was written. */
    public record Written(Path out, long images, AimConfig config) {}

    /**
     * Computes and writes the features. Over several ranks each computes its share: of image files,
     * each rank writes its own block's; of a dataset, the lead gathers them and writes the shards.
     */
    public static Written run(FeatureSettings s, Collectives comm, ProgressListener progress) throws IOException {
        if (s.data() != null) {
            refuseWritingOver(s.data(), s.out());
        }
        // Every trunk pass runs on this thread, so one scope sets their precision.
        try (Aim aim = ModelSpecs.loadAim(s.weights(), s.model(), s.probeLayers(), s.allowUnexpected()); Autocast ignored = s.precision().scope()) {
            return s.data() != null ? dataset(aim, s, comm) : images(aim, s, comm, comm.isLead() ? progress : ProgressListener.NONE);
        }
    }

    private static Written images(Aim aim, FeatureSettings s, Collectives comm, ProgressListener progress) throws IOException {
        AimConfig config = aim.config();
        if (config.imgSize()[0] != config.imgSize()[1]) {
            throw new IllegalArgumentException("ml-aim's eval transform makes square crops; the model takes " + config.imgSize()[0] + "x"
                    + config.imgSize()[1]);
        }
        Set<String> stems = new LinkedHashSet<>();
        for (Path p : s.images()) {
            if (!stems.add(stem(p))) {
                throw new IllegalArgumentException("two images would both write " + stem(p) + ".npy; rename one of them");
            }
        }
        EvalTransform transform = new EvalTransform(config.imgSize()[0], Normalization.imagenetFor(config.channels()));
        long imageBytes = 4L * config.channels() * config.imgSize()[0] * config.imgSize()[1];
        Files.createDirectories(s.out());
        int all = s.images().size();
        List<Path> mine = s.images().subList(PassPlan.blockStart(all, comm.rank(), comm.world()),
                PassPlan.blockStart(all, comm.rank() + 1, comm.world()));
        progress.total(comm.world() == 1 ? "features" : "features (rank 0's share)", mine.size(), "img");
        for (int start = 0; start < mine.size(); start += s.batch()) {
            List<Path> chunk = mine.subList(start, Math.min(mine.size(), start + s.batch()));
            // One manager per batch: everything the batch allocates is freed with it.
            try (NDManager scope = NDManager.newBaseManager(); Arena arena = Arena.ofConfined()) {
                MemorySegment pixels = arena.allocate(imageBytes * chunk.size(), 64);
                for (int i = 0; i < chunk.size(); i++) {
                    transform.apply(decode(chunk.get(i)), null, pixels, i * imageBytes);
                }
                NDArray x = scope.create(pixels.asByteBuffer().order(ByteOrder.nativeOrder()),
                        new Shape(chunk.size(), config.channels(), config.imgSize()[0], config.imgSize()[1]), DataType.FLOAT32);
                NDArray features = aim.probeFeatures(x);
                if (s.pool()) {
                    features = features.mean(new int[] {1});
                }
                for (int i = 0; i < chunk.size(); i++) {
                    Npy.write(s.out().resolve(stem(chunk.get(i)) + ".npy"), HostTensor.fromNDArray(features.get(i)));
                }
            }
            progress.done(start + chunk.size());
        }
        // Every rank's files are written once all have finished.
        comm.barrier();
        return new Written(s.out(), all, config);
    }

    private static Image decode(Path file) throws IOException {
        // A file that cannot be read already names itself (the CLI says "no such file: ..."); only the decoder's errors need the name.
        byte[] bytes = Files.readAllBytes(file);
        try {
            return ImageDecoder.decode(bytes);
        } catch (IOException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Features of every image of a dataset, in pass order, as Arrow feature shards with ids and labels. */
    private static Written dataset(Aim aim, FeatureSettings s, Collectives comm) throws IOException {
        AimConfig config = aim.config();
        try (ShardSet set = ShardSet.open(s.data());
             FeatureCache cache = FeatureCache.compute(aim, set, ModelInput.transform(config, set, "none", false), id -> 0,
                     new long[] {set.size()}, s.batch(), BatchTensors.loaderThreads(), comm)[0]) {
            if (!comm.isLead()) {
                return new Written(s.out(), set.size(), config);
            }
            Map<String, Object> params = new LinkedHashMap<>();
            params.put("trunk", s.weights().toString());
            params.put("config", config.toJson().toString());
            params.put("data", s.data().toString());
            cache.write(s.out(), new DatasetInfo(set.info().classNames(), set.info().split(), "features of " + s.data()), params);
            return new Written(s.out(), cache.rows(), config);
        }
    }

    /** Feature shards written into the dataset's own folder would replace its manifest: refused before any work. */
    private static void refuseWritingOver(Path data, Path out) throws IOException {
        Path dataFolder = Files.isDirectory(data) ? data : data.toAbsolutePath().getParent();
        if (dataFolder != null && Files.exists(out) && Files.exists(dataFolder) && Files.isSameFile(out, dataFolder)) {
            throw new IllegalArgumentException("--out " + out + " is the folder of --data " + data
                    + ": the feature shards would replace the dataset; choose another folder");
        }
    }

    private static String stem(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }
}
