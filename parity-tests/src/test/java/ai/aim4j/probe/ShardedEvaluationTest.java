package ai.aim4j.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.source.Synthetic;
import ai.aim4j.cli.ChildJvm;
import ai.aim4j.cli.CliRun;
import ai.aim4j.dist.MpiRun;
import ai.aim4j.weights.Npy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code probe}, {@code eval} and {@code features} split over ranks give the one-process results:
 * counts, accuracies and confusion matrices exactly; features and losses within float tolerance.
 */
class ShardedEvaluationTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static Path trunk;

    @BeforeAll
    static void data() throws IOException {
        DatasetWriter.write(new Synthetic(1000, 16, 7, "train"), dir.resolve("train"), 2, null, Map.of(), n -> { });
        DatasetWriter.write(new Synthetic(301, 16, 8, "test"), dir.resolve("test"), 2, null, Map.of(), n -> { });
        Files.writeString(dir.resolve("model.json"), "{\"img_size\": 16, \"patch_size\": 4, \"num_channels\": 3, \"embed_dim\": 32,"
                + " \"num_blocks\": 2, \"num_heads\": 2, \"probe_layers\": [0, 1]}");
        trunk = dir.resolve("trunk.safetensors");
        CliRun init = CliRun.of("init", "--config", dir.resolve("model.json").toString(), "--out", trunk.toString(), "--seed", "1",
                "--trunk-only");
        assertEquals(0, init.code(), init.err());
    }

    /** Runs {@code args} as one process (ranks 1) or under {@code aim4j launch --nproc ranks}. */
    private static void run(int ranks, String log, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        if (ranks > 1) {
            cmd.addAll(List.of("launch", "--nproc", Integer.toString(ranks), "--threads-per-rank", "1"));
        }
        cmd.addAll(List.of(args));
        runProcess(ChildJvm.aim4j("1g", cmd), log);
    }

    private static void runProcess(List<String> cmd, String log) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile()).start();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), log + " did not finish");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve(log)));
    }

    private static String[] probe(Path out) {
        return new String[] {"probe", "--random-trunk", "--model", dir.resolve("model.json").toString(), "--data",
                dir.resolve("train").toString(), "--val-data", dir.resolve("test").toString(), "--out", out.toString(), "--epochs", "4",
                "--batch-size", "64", "--lr-grid", "1e-4,3e-3", "--seed", "1"};
    }

    @Test
    void aProbeOverThreeRanksScoresAsOneProcess() throws Exception {
        run(1, "probe-1.log", probe(dir.resolve("probe-1")));
        run(3, "probe-3.log", probe(dir.resolve("probe-3")));
        JsonNode one = JSON.readTree(dir.resolve("probe-1/results.json").toFile());
        JsonNode three = JSON.readTree(dir.resolve("probe-3/results.json").toFile());
        for (String count : new String[] {"train_images", "held_out_images", "test_images"}) {
            assertEquals(one.get(count).asLong(), three.get(count).asLong(), count);
        }
        for (int g = 0; g < one.get("grid").size(); g++) {
            for (String acc : new String[] {"held_out_top1", "test_top1"}) {
                assertEquals(one.get("grid").get(g).get(acc).asDouble(), three.get("grid").get(g).get(acc).asDouble(), acc + " of grid point " + g);
            }
        }
    }

    private static String[] eval(Path out) {
        return new String[] {"eval", "--weights", trunk.toString(), "--model", dir.resolve("model.json").toString(), "--head",
                dir.resolve("probe-head.safetensors").toString(), "--data", dir.resolve("test").toString(), "--out", out.toString()};
    }

    @Test
    void anEvaluationOverTwoRanksUnderPlainMpirunEqualsOneProcess() throws Exception {
        CliRun head = CliRun.of(probe(dir.resolve("probe-for-eval")));
        assertEquals(0, head.code(), head.err());
        Files.copy(dir.resolve("probe-for-eval/head.safetensors"), dir.resolve("probe-head.safetensors"));
        run(1, "eval-1.log", eval(dir.resolve("eval-1")));
        List<String> rank = ChildJvm.aim4j("1g", List.of(eval(dir.resolve("eval-2"))));
        runProcess(MpiRun.command(2, List.of(), 1, rank), "eval-2.log");
        JsonNode one = JSON.readTree(dir.resolve("eval-1/eval.json").toFile());
        JsonNode two = JSON.readTree(dir.resolve("eval-2/eval.json").toFile());
        assertEquals(301, two.get("images").asLong());
        for (String exact : new String[] {"images", "top1", "top5", "per_class", "confusion"}) {
            assertEquals(one.get(exact), two.get(exact), exact);
        }
        // The mean cross-entropy is summed in double, in another order: equal to about 1e-15 relative.
        assertEquals(one.get("loss").asDouble(), two.get("loss").asDouble(), 1e-12 * one.get("loss").asDouble());
    }

    /**
     * Features of the same image computed in another batch (another batch size and neighbours) agree
     * to float32 rounding of the trunk's sums: within 1e-5 of values of order 1.
     */
    private static void closeFeatures(MemorySegment a, MemorySegment b, String what) {
        assertEquals(a.byteSize(), b.byteSize(), what);
        for (long i = 0; i < a.byteSize() / 4; i++) {
            float x = a.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            float y = b.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
            assertTrue(Math.abs(x - y) <= 1e-5, what + " value " + i + ": " + x + " vs " + y);
        }
    }

    @Test
    void datasetFeaturesOverTwoRanksEqualOneProcess() throws Exception {
        String[] common = {"features", "--weights", trunk.toString(), "--config", dir.resolve("model.json").toString(), "--data",
                dir.resolve("test").toString(), "--batch", "16", "--out"};
        run(1, "features-1.log", with(common, dir.resolve("features-1").toString()));
        run(2, "features-2.log", with(common, dir.resolve("features-2").toString()));
        try (ShardSet a = ShardSet.open(dir.resolve("features-1")); ShardSet b = ShardSet.open(dir.resolve("features-2"))) {
            assertEquals(301, b.size());
            for (long i = 0; i < a.size(); i++) {
                assertEquals(a.id(i), b.id(i), "row " + i);
                assertEquals(a.label(i), b.label(i), "row " + i);
                closeFeatures(a.features(i), b.features(i), "row " + i);
            }
        }
    }

    @Test
    void imageFeaturesOverTwoRanksEqualOneProcess() throws Exception {
        List<String> images = new ArrayList<>();
        Random random = new Random(3);
        for (int i = 0; i < 5; i++) {
            BufferedImage img = new BufferedImage(20, 18, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 18; y++) {
                for (int x = 0; x < 20; x++) {
                    img.setRGB(x, y, random.nextInt(1 << 24));
                }
            }
            Path file = dir.resolve("img" + i + ".png");
            ImageIO.write(img, "png", file.toFile());
            images.add(file.toString());
        }
        List<String> common = new ArrayList<>(List.of("features", "--weights", trunk.toString(), "--config", dir.resolve("model.json").toString(),
                "--batch", "2"));
        common.addAll(images);
        run(1, "images-1.log", with(common.toArray(String[]::new), "--out", dir.resolve("images-1").toString()));
        run(2, "images-2.log", with(common.toArray(String[]::new), "--out", dir.resolve("images-2").toString()));
        for (int i = 0; i < 5; i++) {
            String f = "img" + i + ".npy";
            closeFeatures(Npy.parse(dir.resolve(f), Files.readAllBytes(dir.resolve("images-1").resolve(f))).data(),
                    Npy.parse(dir.resolve(f), Files.readAllBytes(dir.resolve("images-2").resolve(f))).data(), f);
        }
    }

    private static String[] with(String[] args, String... more) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
