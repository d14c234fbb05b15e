package ai.aim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A count a command cannot use (images, batches, steps, ranks, limits), or an optimizer setting out of
 * its range, stops the command before any work with one line naming the flag and exit code 1, writing
 * nothing. Each of these once failed deep inside the work ("/ by zero", an index out of bounds, a null
 * array), reported an empty evaluation as NaN, or was accepted (a pre-training run of zero steps
 * reported as done; a beta of 1.5).
 */
class CountFlagsTest {
    @TempDir
    Path dir;

    private void refused(String expected, String... args) {
        CliRun run = CliRun.of(args);
        String line = String.join(" ", args);
        assertEquals(1, run.code(), line);
        assertEquals("aim4j: error: " + expected, run.err().strip(), line);
    }

    @Test
    void benchmarkCounts() {
        refused("--batch must be at least 1, got 0", "bench", "forward", "--preset", "aim-600M", "--batch", "8,0");
        refused("--batch must be at least 1, got 0", "bench", "train", "--batch", "0");
        refused("--batches must be at least 1, got 0", "bench", "data", "--batches", "0");
        refused("--heads must be at least 1, got 0", "bench", "probe", "--heads", "0");
        refused("--images must be at least 1, got 0", "bench", "probe", "--images", "0");
        refused("--windows must be at least 1, got 0", "bench", "stream", "--windows", "0");
        refused("--workers must be at least 1, got 0", "bench", "stream", "--workers", "0");
        refused("--steps must be at least 1, got 0", "bench", "allreduce", "--nproc", "2", "--steps", "0");
    }

    @Test
    void jobAndDataOrderCounts() {
        Path data = dir.resolve("none");
        refused("--nproc must be at least 1, got 0", "launch", "--nproc", "0", "--", "probe");
        refused("--threads-per-rank must be at least 1, got 0", "launch", "--nproc", "2", "--threads-per-rank", "0", "--", "probe");
        refused("--world must be at least 1, got 0", "data", "order", data.toString(), "--world", "0");
        refused("--rank must be from 0 to 1 for --world 2, got 2", "data", "order", data.toString(), "--world", "2", "--rank", "2");
        refused("--epoch must be at least 0, got -1", "data", "order", data.toString(), "--epoch", "-1");
        refused("--image-size must be positive, got 0", "stream", "--data", data.toString(), "--batch-size", "4", "--image-size", "0");
        refused("--channels must be positive, got 0", "stream", "--data", data.toString(), "--batch-size", "4", "--channels", "0");
    }

    /** Pre-training's counts, and AdamW's bounds as torch.optim.AdamW sets them; the run folder is not even made. */
    @Test
    void pretrainingSettings() {
        Path out = dir.resolve("run");
        List<List<String>> cases = List.of(
                List.of("--steps must be at least 1, got 0", "--steps", "0"),
                List.of("--epochs must be positive, got 0.0", "--epochs", "0"),
                List.of("--loader-threads must be at least 1, got 0", "--steps", "1", "--loader-threads", "0"),
                List.of("--val-samples must be at least 1, got 0", "--steps", "1", "--val-samples", "0"),
                List.of("--beta1 and --beta2 must be in [0, 1), got 0.9 and 1.0", "--steps", "1", "--beta2", "1"),
                List.of("--eps and --weight-decay must not be negative, got -1.0 and 0.05", "--steps", "1", "--eps", "-1"),
                List.of("--warmup-fraction must be in [0, 1], got 2.0", "--steps", "1", "--warmup-fraction", "2"));
        for (List<String> c : cases) {
            List<String> args = new ArrayList<>(List.of("pretrain", "--data", dir.toString(), "--model", "aim-600M", "--out", out.toString()));
            args.addAll(c.subList(1, c.size()));
            refused(c.getFirst(), args.toArray(String[]::new));
        }
        assertFalse(Files.exists(out), "nothing is written");
    }

    @Test
    void evaluationAndProbeSettings() {
        Path weights = dir.resolve("weights.safetensors");
        Path out = dir.resolve("out");
        refused("--limit must be at least 1, got 0", "eval", "--weights", weights.toString(), "--data", dir.toString(), "--out", out.toString(),
                "--limit", "0");
        refused("--train-limit must be at least 1, got -1", "probe", "--weights", weights.toString(), "--data", dir.toString(), "--val-data",
                dir.toString(), "--out", out.toString(), "--train-limit", "-1");
        refused("--lr values must be positive and --wd values not negative, got [0.001, -1.0] and [0.05]", "probe", "--weights",
                weights.toString(), "--data", dir.toString(), "--val-data", dir.toString(), "--out", out.toString(), "--lr", "1e-3,-1");
        refused("probe settings need epochs and batch size >= 1, a non-empty grid and a hold-out in (0, 1)", "probe", "--weights",
                weights.toString(), "--data", dir.toString(), "--val-data", dir.toString(), "--out", out.toString(), "--holdout", "NaN");
        assertFalse(Files.exists(out), "nothing is written");
    }

    /** A model config outside what a model can be (or this implementation can size) is refused before anything is written. */
    @Test
    void modelConfigBounds() throws IOException {
        Path out = dir.resolve("w.safetensors");
        String base = "\"patch_size\": 4, \"num_blocks\": 1, \"num_heads\": 2";
        List<List<String>> cases = List.of(
                List.of("\"img_size\": [-28, 28], \"embed_dim\": 32", "img_size must be positive, got [-28, 28]"),
                List.of("\"img_size\": 16, \"embed_dim\": 32, \"layer_norm_eps\": -1",
                        "layer_norm_eps and batch_norm_eps must lie in (0, 1), got -1.0 and 1.0E-6"),
                List.of("\"img_size\": 16, \"embed_dim\": 1000000000", "a size is beyond this implementation's bounds (img_size 32768,"
                        + " embed_dim and mlp_ratio 65536, num_blocks 4096, num_classes 16777216)"));
        for (List<String> c : cases) {
            Path config = Files.writeString(dir.resolve("config.json"), "{" + base + ", " + c.getFirst() + "}");
            CliRun run = CliRun.of("init", "--config", config.toString(), "--out", out.toString());
            assertEquals(1, run.code(), c.getFirst());
            assertTrue(run.err().strip().startsWith("aim4j: error: ") && run.err().strip().endsWith("invalid AIM config: " + c.getLast()), run.err());
        }
        assertFalse(Files.exists(out), "nothing is written");
    }
}
