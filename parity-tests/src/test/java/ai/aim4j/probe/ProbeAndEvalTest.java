package ai.aim4j.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.arrow.ShardSchema;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.source.Synthetic;
import ai.aim4j.cli.CliRun;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Probing end to end on synthetic data: honest splits, a grid, a saved head that {@code eval} reproduces. */
class ProbeAndEvalTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void data() throws IOException {
        DatasetWriter.write(new Synthetic(1200, 16, 7, "train"), dir.resolve("train"), 2, null, Map.of(),
                n -> { });
        DatasetWriter.write(new Synthetic(300, 16, 8, "test"), dir.resolve("test"), 1, null, Map.of(),
                n -> { });
        Files.writeString(dir.resolve("model.json"), "{\"img_size\": 16, \"patch_size\": 4, \"num_channels\": 3, \"embed_dim\": 32,"
                + " \"num_blocks\": 2, \"num_heads\": 2, \"probe_layers\": [0, 1]}");
    }

    @Test
    void probesAGridChoosesOnHeldOutAndEvalReproducesTheTestAccuracy() throws IOException {
        Path out = dir.resolve("probe");
        CliRun r = CliRun.of("probe", "--random-trunk", "--model", dir.resolve("model.json").toString(), "--data", dir.resolve("train").toString(),
                "--val-data", dir.resolve("test").toString(), "--out", out.toString(), "--epochs", "8", "--batch-size", "64",
                "--lr-grid", "1e-4,3e-3", "--seed", "1");
        assertEquals(0, r.code(), r.err());
        JsonNode res = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals(2, res.get("grid").size());
        // Held-out images come from the training split and are not trained on: about 10%, disjoint by construction.
        long held = res.get("held_out_images").asLong();
        assertTrue(held > 60 && held < 200, "held-out images: " + held);
        assertEquals(1200 - held, res.get("train_images").asLong());
        JsonNode best = res.get("best");
        double bestHeld = best.get("held_out_top1").asDouble();
        for (JsonNode g : res.get("grid")) {
            assertTrue(g.get("held_out_top1").asDouble() <= bestHeld, "the best point is chosen on held-out accuracy");
        }
        // Ten learnable classes: even a random trunk's features carry well above chance (10%).
        assertTrue(best.get("test_top1").asDouble() > 0.3, best.toString());

        // The saved head, with ml-aim's names, evaluated next to the same random trunk, gives the reported test accuracy.
        Path trunk = dir.resolve("random-trunk.safetensors");
        assertEquals(0, CliRun.of("init", "--config", dir.resolve("model.json").toString(), "--out", trunk.toString(), "--seed", "1",
                "--trunk-only").code());
        CliRun e = CliRun.of("eval", "--weights", trunk.toString(), "--head", out.resolve("head.safetensors").toString(), "--model",
                dir.resolve("model.json").toString(), "--data", dir.resolve("test").toString(), "--out", dir.resolve("eval").toString());
        assertEquals(0, e.code(), e.err());
        JsonNode ev = new ObjectMapper().readTree(dir.resolve("eval/eval.json").toFile());
        assertEquals(300, ev.get("images").asLong());
        assertEquals(best.get("test_top1").asDouble(), ev.get("top1").asDouble(), 1e-9);
        assertTrue(ev.get("top5").asDouble() >= ev.get("top1").asDouble());
        assertTrue(Files.size(dir.resolve("eval/confusion.png")) > 1000);

        // Whole-dataset feature export: Arrow feature shards with the dataset's ids and labels, in its order.
        CliRun f = CliRun.of("features", "--weights", trunk.toString(), "--config", dir.resolve("model.json").toString(), "--data",
                dir.resolve("test").toString(), "--out", dir.resolve("exported").toString());
        assertEquals(0, f.code(), f.err());
        try (var features = ShardSet.open(dir.resolve("exported")); var images = ShardSet.open(dir.resolve("test"))) {
            assertEquals(images.size(), features.size());
            Map<Long, Integer> labels = new HashMap<>();
            for (long i = 0; i < images.size(); i++) {
                labels.put(images.id(i), images.label(i));
            }
            for (long i = 0; i < features.size(); i++) {
                assertEquals(labels.get(features.id(i)), features.label(i));
            }
            assertEquals(4L * 16 * 32, features.features(0).byteSize());
        }
        // Into the dataset's own folder: refused before any work, the dataset intact.
        byte[] manifest = Files.readAllBytes(dir.resolve("test/manifest.json"));
        CliRun over = CliRun.of("features", "--weights", trunk.toString(), "--config", dir.resolve("model.json").toString(), "--data",
                dir.resolve("test").toString(), "--out", dir.resolve("test").toString());
        assertEquals(1, over.code());
        assertEquals("aim4j: error: --out " + dir.resolve("test") + " is the folder of --data " + dir.resolve("test")
                + ": the feature shards would replace the dataset; choose another folder", over.err().strip());
        assertArrayEquals(manifest, Files.readAllBytes(dir.resolve("test/manifest.json")));
    }

    /** A diverged head (non-finite held-out loss) is never chosen; a grid of nothing else is refused, nothing written. */
    @Test
    void divergedHeadsAreNeverChosen() throws IOException {
        String[] common = {"probe", "--random-trunk", "--model", dir.resolve("model.json").toString(), "--data", dir.resolve("train").toString(),
            "--val-data", dir.resolve("test").toString(), "--epochs", "1", "--batch-size", "64", "--seed", "1"};
        Path mixed = dir.resolve("mixed");
        CliRun r = CliRun.of(concat(common, "--out", mixed.toString(), "--lr-grid", "1e30,3e-3"));
        assertEquals(0, r.code(), r.err());
        JsonNode res = new ObjectMapper().readTree(mixed.resolve("results.json").toFile());
        assertTrue(res.get("grid").get(0).get("held_out_loss").isTextual(), "the 1e30 head diverged: " + res.get("grid").get(0));
        assertEquals(3e-3, res.get("best").get("lr").asDouble());
        Path diverged = dir.resolve("diverged");
        CliRun all = CliRun.of(concat(common, "--out", diverged.toString(), "--lr-grid", "1e30"));
        assertEquals(1, all.code());
        assertEquals("aim4j: error: every head of the grid diverged (its held-out loss is not finite): try a smaller --lr; nothing was written",
                all.err().strip().lines().reduce((first, last) -> last).orElseThrow(), "the last line, after the progress lines");
        assertFalse(Files.exists(diverged.resolve("head.safetensors")));
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void cachedFeaturesAreArrowShardsReusedByTheNextRun() throws IOException {
        Path out = dir.resolve("cached");
        String[] args = {"probe", "--random-trunk", "--model", dir.resolve("model.json").toString(), "--data", dir.resolve("train").toString(),
            "--val-data", dir.resolve("test").toString(), "--out", out.toString(), "--epochs", "2", "--batch-size", "64", "--seed", "2",
            "--cache-features"};
        CliRun first = CliRun.of(args);
        assertEquals(0, first.code(), first.err());
        assertTrue(!first.err().contains("reusing"), first.err());
        try (var set = ShardSet.open(out.resolve("features/test"))) {
            assertEquals(ShardSchema.Encoding.FEATURES, set.encoding());
            assertEquals(300, set.size());
            assertEquals(16 * 32 * 4, set.features(0).byteSize()); // (tokens, dim) float32 per image
        }
        assertEquals(0, CliRun.of("data", "verify", out.resolve("features/train").toString()).code());
        String before = Files.readString(out.resolve("results.json"));
        CliRun second = CliRun.of(args);
        assertEquals(0, second.code(), second.err());
        assertTrue(second.err().contains("reusing the cache"), second.err());
        JsonNode a = new ObjectMapper().readTree(before).get("grid");
        JsonNode b = new ObjectMapper().readTree(out.resolve("results.json").toFile()).get("grid");
        assertEquals(a, b, "the same features give the same heads");
    }

    @Test
    void augmentedProbingStreamsTrainingImagesThroughTheTrunk() throws IOException {
        Path out = dir.resolve("augmented");
        CliRun r = CliRun.of("probe", "--random-trunk", "--model", dir.resolve("model.json").toString(), "--data", dir.resolve("train").toString(),
                "--val-data", dir.resolve("test").toString(), "--out", out.toString(), "--epochs", "8", "--batch-size", "64",
                "--lr-grid", "3e-3", "--augment", "rrc", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        JsonNode res = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals("rrc", res.get("augment").asText());
        assertEquals(0, res.get("train_images").asLong(), "nothing of the training part is cached");
        assertEquals(300, res.get("test_images").asLong());
        assertTrue(res.get("best").get("test_top1").asDouble() > 0.2, res.toString()); // chance is 0.1
    }

    /**
     * bf16 mixed precision (the trunk's and heads' products in bf16, the loss widened to float32)
     * trains and reports like float32 on the same split and seed: test top-1 within 5 points (15 of
     * the 300 test images) of the float32 run, where bf16's 8-bit mantissa moves single predictions.
     */
    @Test
    void bf16ProbingTrainsAndReportsLikeFloat32() throws IOException {
        double[] top1 = new double[2];
        String[] dtypes = {"fp32", "bf16"};
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("probe-" + dtypes[i]);
            CliRun r = CliRun.of("probe", "--random-trunk", "--model", dir.resolve("model.json").toString(), "--data",
                    dir.resolve("train").toString(), "--val-data", dir.resolve("test").toString(), "--out", out.toString(), "--epochs", "8",
                    "--batch-size", "64", "--lr-grid", "3e-3", "--seed", "1", "--dtype", dtypes[i]);
            assertEquals(0, r.code(), r.err());
            top1[i] = new ObjectMapper().readTree(out.resolve("results.json").toFile()).get("best").get("test_top1").asDouble();
        }
        assertTrue(top1[0] > 0.3, "float32: " + top1[0]);
        assertEquals(top1[0], top1[1], 0.05, "bf16 against float32 test top-1");
    }

    @Test
    void theRawPixelBaselineUsesTheSameSplitsAndProtocol() throws IOException {
        Path out = dir.resolve("pixels");
        CliRun r = CliRun.of("probe", "--pixels", "--model", dir.resolve("model.json").toString(), "--data", dir.resolve("train").toString(),
                "--val-data", dir.resolve("test").toString(), "--out", out.toString(), "--epochs", "8", "--batch-size", "64",
                "--lr-grid", "3e-3", "--seed", "1");
        assertEquals(0, r.code(), r.err());
        JsonNode res = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        long held = LongStream.range(0, 1200).filter(id -> ProbeParts.isHeldOut(id, 0.1)).count();
        assertEquals(held, res.get("held_out_images").asLong(), "the held-out part is chosen by sample id, as for the trunk probes");
        assertEquals(300, res.get("test_images").asLong());
        assertTrue(res.get("best").get("test_top1").asDouble() > 0.2, res.toString());
    }
}
