package ai.aim4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.arrow.source.Synthetic;
import ai.aim4j.cli.CliRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Run settings, refusals, non-finite handling and checkpoint recovery of {@code aim4j pretrain}, in process. */
class PretrainRunTest {
    @TempDir
    static Path dir;


    @BeforeAll
    static void data() throws IOException {
        DatasetWriter.write(new Synthetic(256, 16, 2, "train"), dir.resolve("data"), 1, null,
                Map.of(), n -> { });
        DatasetWriter.write(new Synthetic(64, 16, 3, "val"), dir.resolve("val"), 1, null,
                Map.of(), n -> { });
        Files.writeString(dir.resolve("model.json"), "{\"img_size\": 16, \"patch_size\": 4, \"num_channels\": 3, \"embed_dim\": 32,"
                + " \"num_blocks\": 1, \"num_heads\": 2, \"decoder\": {\"embed_dim\": 32, \"num_layers\": 1}}");
    }

    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    @Test
    void yamlSettingsWithFlagsOnTopBecomeTheEffectiveConfig() throws IOException {
        Path yaml = dir.resolve("run.yaml");
        Files.writeString(yaml, "data: " + dir.resolve("data") + "\nval_data: " + dir.resolve("val") + "\nmodel: " + dir.resolve("model.json")
                + "\nsteps: 6\nbatch_size: 16\nlr: 0.002\nval_every: 3\ncheckpoint_every: 3\n");
        Path out = dir.resolve("yaml-run");
        CliRun r = run("pretrain", "--config", yaml.toString(), "--out", out.toString(), "--lr", "0.003");
        assertEquals(0, r.code(), r.err());
        String config = Files.readString(out.resolve("config.json"));
        assertTrue(config.contains("\"lr\" : 0.003") && config.contains("\"batch_size\" : 16") && config.contains("\"total_steps\" : 6"), config);
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(6, metrics.size());
        assertTrue(metrics.get(2).contains("val_loss") && metrics.get(5).contains("val_loss") && !metrics.get(0).contains("val_loss"));
        assertEquals(List.of("step-00000003", "step-00000006"), new CheckpointStore(out, 3).list().stream().map(c -> c.dir().getFileName().toString()).toList());
        // A run folder with checkpoints is not silently overwritten.
        CliRun again = run("pretrain", "--config", yaml.toString(), "--out", out.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("--resume auto"), again.err());
        // The run's own config.json is a settings file too (what the run derived is derived again).
        Path rerun = dir.resolve("rerun");
        CliRun same = run("pretrain", "--config", out.resolve("config.json").toString(), "--out", rerun.toString(), "--steps", "1");
        assertEquals(0, same.code(), same.err());
        assertTrue(Files.readString(rerun.resolve("config.json")).contains("\"total_steps\" : 1"));
        // A settings file's own mistakes are reported with its name.
        Path typo = Files.writeString(dir.resolve("typo.yaml"), "data: " + dir.resolve("data") + "\nfrobnicate: 3\n");
        CliRun bad = run("pretrain", "--config", typo.toString(), "--out", dir.resolve("typo").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().strip().startsWith("aim4j: error: " + typo + ": unreadable run settings: Unrecognized field \"frobnicate\""), bad.err());
    }

    @Test
    void refusesFp16AndBadSettings() {
        CliRun fp16 = run("pretrain", "--data", dir.resolve("data").toString(), "--model", dir.resolve("model.json").toString(), "--out",
                dir.resolve("fp16").toString(), "--steps", "1", "--dtype", "fp16");
        assertEquals(1, fp16.code());
        assertTrue(fp16.err().contains("--dtype fp16 is not offered"), fp16.err());
        CliRun accum = run("pretrain", "--data", dir.resolve("data").toString(), "--model", dir.resolve("model.json").toString(), "--out",
                dir.resolve("accum").toString(), "--steps", "1", "--batch-size", "10", "--grad-accum", "3");
        assertEquals(1, accum.code());
        assertTrue(accum.err().contains("multiple of --grad-accum"), accum.err());
        // A --resume folder that holds no checkpoint is refused before the new run's config is written.
        Path fresh = dir.resolve("fresh");
        CliRun resume = run("pretrain", "--data", dir.resolve("data").toString(), "--model", dir.resolve("model.json").toString(), "--out",
                fresh.toString(), "--steps", "1", "--resume", dir.resolve("data").toString());
        assertEquals(1, resume.code());
        assertEquals("aim4j: error: " + dir.resolve("data") + ": not a checkpoint to resume from: incomplete manifest", resume.err().strip());
        assertFalse(Files.exists(fresh.resolve("config.json")));
    }

    @Test
    void aNonFiniteLossStopsTheRunKeepingTheLastCheckpointOrIsSkipped() throws IOException {
        Path out = dir.resolve("diverge");
        CliRun r = run("pretrain", "--data", dir.resolve("data").toString(), "--model", dir.resolve("model.json").toString(), "--out",
                out.toString(), "--steps", "20", "--batch-size", "16", "--lr", "1e30", "--checkpoint-every", "1");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not finite") && r.err().contains("last good checkpoint"), r.err());
        Path last = new CheckpointStore(out, 3).list().getLast().dir();
        assertNull(CheckpointStore.verify(last), "the last checkpoint must be intact");
        // The failing step is named as metrics.jsonl numbers the steps: the one after the last line logged.
        List<String> logged = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertTrue(r.err().contains("step " + (logged.size() + 1) + ": the "), r.err() + " after " + logged.size() + " logged steps");

        Path skip = dir.resolve("skip");
        CliRun s = run("pretrain", "--data", dir.resolve("data").toString(), "--model", dir.resolve("model.json").toString(), "--out",
                skip.toString(), "--steps", "6", "--batch-size", "16", "--lr", "1e30", "--skip-nonfinite");
        assertEquals(0, s.code(), s.err());
        List<String> metrics = Files.readAllLines(skip.resolve("metrics.jsonl"));
        assertTrue(metrics.getLast().matches(".*\"skipped_steps\":[1-9].*"), metrics.getLast());
    }

    @Test
    void resumeAutoSkipsACorruptCheckpoint() throws IOException {
        Path out = dir.resolve("corrupt");
        String[] base = {"pretrain", "--data", dir.resolve("data").toString(), "--model", dir.resolve("model.json").toString(), "--out",
                out.toString(), "--batch-size", "16", "--checkpoint-every", "2"};
        assertEquals(0, run(concat(base, "--steps", "4")).code());
        Path newest = out.resolve("checkpoints/step-00000004/model.safetensors");
        byte[] b = Files.readAllBytes(newest);
        b[b.length - 10] ^= 0x55;
        Files.write(newest, b);
        CliRun r = run(concat(base, "--steps", "6", "--resume", "auto"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("skipping corrupt checkpoint") && r.err().contains("step-00000004"), r.err());
        assertTrue(r.err().contains("resuming from") && r.err().contains("step-00000002"), r.err());
        assertEquals(6, Files.readAllLines(out.resolve("metrics.jsonl")).size());
    }

    /** A resume the checkpoint refuses (another model) leaves the run's config and metrics as they were. */
    @Test
    void aRefusedResumeLeavesTheRunsRecord() throws IOException {
        Path out = dir.resolve("refused");
        String[] base = {"pretrain", "--data", dir.resolve("data").toString(), "--out", out.toString(), "--batch-size", "16", "--checkpoint-every", "2"};
        assertEquals(0, run(concat(base, "--model", dir.resolve("model.json").toString(), "--steps", "3")).code());
        // As if the run had died after step 3, before its checkpoint: a resume goes back to step 2, and drops step 3's line once it goes ahead.
        try (var files = Files.walk(out.resolve("checkpoints/step-00000003"))) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        String config = Files.readString(out.resolve("config.json"));
        List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));
        assertEquals(3, metrics.size());
        Path wider = dir.resolve("wider.json");
        Files.writeString(wider, Files.readString(dir.resolve("model.json")).replace("\"embed_dim\": 32, \"num_blocks\"", "\"embed_dim\": 48, \"num_blocks\""));
        CliRun r = run(concat(base, "--model", wider.toString(), "--steps", "6", "--resume", "auto"));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("step-00000002"), r.err());
        assertEquals(config, Files.readString(out.resolve("config.json")));
        assertEquals(metrics, Files.readAllLines(out.resolve("metrics.jsonl")));
    }

    @Test
    void gradientAccumulationGivesTheLossOfOneBigBatch() throws IOException {
        String[] base = {"pretrain", "--data", dir.resolve("data").toString(), "--model", dir.resolve("model.json").toString(),
                "--steps", "1", "--batch-size", "32", "--loader-threads", "1"};
        assertEquals(0, run(concat(base, "--out", dir.resolve("k1").toString())).code());
        assertEquals(0, run(concat(base, "--out", dir.resolve("k4").toString(), "--grad-accum", "4")).code());
        double one = Double.parseDouble(field(Files.readString(dir.resolve("k1/metrics.jsonl")), "loss"));
        double four = Double.parseDouble(field(Files.readString(dir.resolve("k4/metrics.jsonl")), "loss"));
        // Same images, same prefixes: only the float32 summation order differs (micro-batch sums added in double).
        assertEquals(one, four, 1e-6 * one);
        double g1 = Double.parseDouble(field(Files.readString(dir.resolve("k1/metrics.jsonl")), "grad_norm"));
        double g4 = Double.parseDouble(field(Files.readString(dir.resolve("k4/metrics.jsonl")), "grad_norm"));
        assertEquals(g1, g4, 1e-5 * g1);
    }

    @Test
    void noTensorOutlivesItsStepOverThousandsOfSteps() throws IOException {
        Path out = dir.resolve("long");
        CliRun r = run("pretrain", "--data", dir.resolve("data").toString(), "--val-data", dir.resolve("val").toString(), "--model",
                dir.resolve("model.json").toString(), "--out", out.toString(), "--steps", "2000", "--batch-size", "8",
                "--val-every", "500", "--checkpoint-every", "700", "--loader-threads", "1");
        assertEquals(0, r.code(), r.err());
        List<String> lines = Files.readAllLines(out.resolve("metrics.jsonl"));
        // Every step frees what it made: the process holds the same number of live tensors at step 10 as
        // at step 2000, validations and checkpoints included.
        String early = field(lines.get(9), "live_ndarrays");
        for (int step : new int[] {100, 501, 701, 1500, 2000}) {
            assertEquals(early, field(lines.get(step - 1), "live_ndarrays"), "live tensors at step " + step);
        }
    }

    private static String field(String json, String name) {
        var m = Pattern.compile("\"" + name + "\":([^,}]+)").matcher(json);
        assertTrue(m.find(), json);
        return m.group(1);
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
