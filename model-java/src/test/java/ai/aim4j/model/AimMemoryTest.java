package ai.aim4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Initializer;
import ai.aim4j.model.tensor.NamedTensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Inference memory stays flat: blocks free their intermediates and per-call managers free the rest. */
class AimMemoryTest {
    @Test
    void blocksKeepOnlyTheirOutputs() throws Exception {
        AimConfig c = StateDictTest.small();
        try (Aim aim = Aim.load(c, NamedTensors.inMemory(Initializer.materialize(new Aim(c, true), 1)), DataType.FLOAT32, "init");
             NDManager scope = NDManager.newBaseManager()) {
            NDArray images = scope.randomNormal(new Shape(2, 3, 16, 16));
            int before = scope.getManagedArrays().size();
            NDList out = aim.extractFeatures(images, -1, null);
            int created = scope.getManagedArrays().size() - before;
            assertEquals(2, out.size());
            // Patch embedding leaves a handful of arrays; each block must leave exactly one (its output).
            assertTrue(created <= 10 + c.blocks(), "arrays left in the caller's manager: " + created);
        }
    }

    @Test
    void memoryIsFlatOverManyCalls() throws Exception {
        AimConfig c = StateDictTest.small();
        try (Aim aim = Aim.load(c, NamedTensors.inMemory(Initializer.materialize(new Aim(c, true), 1)), DataType.FLOAT32, "init")) {
            Runnable call = () -> {
                try (NDManager scope = NDManager.newBaseManager()) {
                    NDArray images = scope.randomNormal(new Shape(8, 3, 16, 16));
                    NDArray mask = scope.create(new boolean[8 * 16], new Shape(8, 16));
                    aim.forward(images).getFloat(0, 0);
                    aim.extractFeatures(images, -1, mask);
                }
            };
            for (int i = 0; i < 300; i++) {
                call.run();
            }
            int parametersAfterWarmup = aim.liveArrays();
            long[] samples = new long[8];
            for (int k = 0; k < samples.length; k++) {
                for (int i = 0; i < 1000; i++) {
                    call.run();
                }
                samples[k] = nativeResident();
            }
            // No result may attach itself to the model's own manager.
            assertEquals(parametersAfterWarmup, aim.liveArrays());
            // Resident memory swings by tens of MB with the allocator; compare medians of the first and
            // last three samples, 5000 calls apart. Keeping even one 16 KB activation per call would add 80 MB.
            long grown = median(samples[5], samples[6], samples[7]) - median(samples[0], samples[1], samples[2]);
            assertTrue(grown < 48L << 20, "resident memory outside the Java heap grew by " + (grown >> 20) + " MB over 5000 calls");
        }
    }

    private static long median(long a, long b, long c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    /** Resident memory minus the committed Java heap, whose growth and shrinking is not a leak. */
    private static long nativeResident() throws IOException {
        System.gc();
        return rss() - Runtime.getRuntime().totalMemory();
    }

    private static long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }
}
