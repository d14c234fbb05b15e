package ai.aim4j.bench;

import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.ProcessMemory;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loading a checkpoint: time to map and wrap it, time of the first forward pass (which touches every
 * weight page), and the process's peak resident memory against the file size, which shows whether
 * the weights were copied on the way in.
 */
public final class LoadBench {
    private LoadBench() {}

    /** Loads {@code weights} (already opened by the caller) and reports. */
    public static void run(Path file, AimConfig config, NamedTensors weights, long openNanos, PrintStream out) throws IOException {
        long fileBytes = Files.size(file);
        long start = System.nanoTime();
        try (Aim aim = Aim.load(config, weights, DataType.FLOAT32, file.toString())) {
            long loaded = System.nanoTime();
            try (NDManager scope = NDManager.newBaseManager()) {
                var images = scope.randomNormal(new Shape(1, config.channels(), config.imgSize()[0], config.imgSize()[1]));
                var blocks = aim.extractFeatures(images, -1, null);
                aim.postTrunkNorm(blocks.getLast()).getFloat(0, 0, 0);
                if (aim.hasHead()) {
                    aim.classify(aim.averageProbeFeatures(blocks)).getFloat(0, 0);
                }
            }
            long forward = System.nanoTime();
            long peak = ProcessMemory.peakResidentBytes();
            out.printf("file             %s, %.2f GB%n", file, fileBytes / 1e9);
            out.printf("open + map       %.3f s%n", openNanos / 1e9);
            out.printf("build model      %.3f s%n", (loaded - start) / 1e9);
            out.printf("first forward    %.3f s (touches every weight page)%n", (forward - loaded) / 1e9);
            out.printf("peak RSS         %.2f GB = %.2fx the file size (JVM and libtorch included)%n", peak / 1e9, (double) peak / fileBytes);
        }
    }
}
