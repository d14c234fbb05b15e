package ai.aim4j.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.cli.Main;
import ai.aim4j.report.Spearman;
import ai.aim4j.report.SpearmanBootstrap;
import ai.aim4j.run.Precision;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole reproduction at toy scale (16 px synthetic images, widths 32 and 64, six steps, two seeds,
 * two data sizes): the report's numbers are the steps' own outputs with their intervals, its
 * commands reproduce them when run alone, every step records what it ran with, and an interrupted
 * reproduction re-run with the same command ends with the same numbers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReproductionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    static Path dir;

    private Path repro;
    private Report.Outcome first;

    static ReproducePlan tinyPlan() {
        return new ReproducePlan("synthetic", true, 16, 3, 480, 120, 200, List.of(32, 64), 2, 4, 32, 1, 6, 32, 2e-3, 3, 100,
                new ReproducePlan.Probe(300, 150, 2, List.of(3e-3)), new ReproducePlan.Probe(0, 0, 2, List.of(3e-3)), 0, 2,
                List.of(240L, 480L), 500, null);
    }

    private static Report.Outcome reproduce(ReproducePlan plan, Path out) throws IOException {
        return new Reproduction(plan, out, "synthetic:600,16", QUIET, "test").run();
    }

    @BeforeAll
    void runOnce() throws IOException {
        repro = dir.resolve("repro");
        first = quietly(() -> reproduce(tinyPlan(), repro));
    }

    private interface Io<T> {
        T get() throws IOException;
    }

    /** Runs with the steps' own console output discarded (they print tables and progress). */
    private static <T> T quietly(Io<T> work) throws IOException {
        PrintStream out = System.out;
        PrintStream err = System.err;
        System.setOut(QUIET);
        System.setErr(QUIET);
        try {
            return work.get();
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private JsonNode result(String name) throws IOException {
        return JSON.readTree(repro.resolve("results").resolve(name + ".json").toFile());
    }

    private List<JsonNode> checkpointProbes() throws IOException {
        List<JsonNode> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(repro.resolve("results"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith("probe-")).sorted().toList()) {
                all.add(JSON.readTree(f.toFile()));
            }
        }
        return all;
    }

    /** t(0.975, 1) = tan(0.475 pi), the 95% multiplier of the standard error with two seeds. */
    private static final double T_1 = 12.706204736;

    /** The 95% interval of two values, by hand: mean +- t(0.975, 1) x |a - b| / 2. */
    private static double[] interval(double a, double b) {
        double half = T_1 * Math.abs(a - b) / 2;
        return new double[] {(a + b) / 2 - half, (a + b) / 2 + half};
    }

    @Test
    void reportHoldsTheStepsOwnNumbersFiguresAndTargets() throws IOException {
        String md = Files.readString(first.report());
        assertTrue(md.contains("## Targets"), md);
        assertEquals(7, first.targets().size(), "capacity, correlation, two margins, two data-scaling targets, time");
        // A quick run's verdict names the two targets that count for it, never "every target holds".
        String headline = md.lines().filter(l -> l.startsWith("**PASS") || l.startsWith("**FAIL")).findFirst().orElseThrow();
        assertTrue(headline.contains("quick-run targets") && !headline.contains("every target holds"), headline);
        assertTrue(headline.contains(first.targets().get(2).name()) && headline.contains(first.targets().get(6).name()), headline);
        for (String fig : List.of("validation-loss", "training-loss", "loss-vs-probe", "probe-vs-params", "data-scaling")) {
            BufferedImage img = ImageIO.read(repro.resolve("figures").resolve(fig + ".png").toFile());
            assertEquals(800, img.getWidth(), fig);
            assertTrue(md.contains("figures/" + fig + ".png"), fig);
        }
        // The correlation target is Spearman over every checkpoint of both seeds, read back from the results, with the
        // bootstrap interval of the plan's seed and resamples.
        List<JsonNode> probes = checkpointProbes();
        assertEquals(12, probes.size(), "3 checkpoints x 2 sizes x 2 seeds, each probed");
        double[] loss = probes.stream().mapToDouble(p -> p.get("val_loss").asDouble()).toArray();
        double[] top1 = probes.stream().mapToDouble(p -> p.get("test_top1").asDouble()).toArray();
        SpearmanBootstrap.Result ci = SpearmanBootstrap.interval(loss, top1, 500, 0.95, 0);
        assertEquals(String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", Spearman.correlation(loss, top1), ci.low(), ci.high()),
                first.targets().get(1).measured());
        // Each checkpoint's validation loss is the one its seed's pre-training run logged at that step.
        for (JsonNode p : probes) {
            Path metrics = repro.resolve("runs/seed-" + p.get("seed").asLong() + "/" + ReproducePlan.sizeName(p.get("width").asInt())
                    + "/metrics.jsonl");
            JsonNode logged = Files.readAllLines(metrics).stream().map(ReproductionTest::parse)
                    .filter(l -> l.get("step").asLong() == p.get("step").asLong()).findFirst().orElseThrow();
            assertEquals(logged.get("val_loss").asDouble(), p.get("val_loss").asDouble(), 0.0);
        }
        // The capacity table and the loss target: each size's final validation loss over the two seeds with its t-interval.
        double[][] bounds = new double[2][];
        for (int i = 0; i < 2; i++) {
            String size = i == 0 ? "w32" : "w64";
            double a = result("pretrain-s0-" + size).get("checkpoints").get(2).get("val_loss").asDouble();
            double b = result("pretrain-s1-" + size).get("checkpoints").get(2).get("val_loss").asDouble();
            bounds[i] = interval(a, b);
            String shown = String.format(Locale.ROOT, "%.4f [%.4f, %.4f]", (a + b) / 2, bounds[i][0], bounds[i][1]);
            assertTrue(md.contains("| " + size + " | ") && md.lines().anyMatch(l -> l.startsWith("| " + size + " |") && l.contains(shown)), shown);
            assertTrue(first.targets().getFirst().measured().contains(shown), first.targets().getFirst().measured());
        }
        // The random-trunk margin, paired by seed.
        double m0 = result("final-s0-w64").get("test_top1").asDouble() - result("baseline-random-s0").get("test_top1").asDouble();
        double m1 = result("final-s1-w64").get("test_top1").asDouble() - result("baseline-random-s1").get("test_top1").asDouble();
        double[] margin = interval(100 * m0, 100 * m1);
        assertTrue(first.targets().get(2).measured().startsWith(String.format(Locale.ROOT, "%+.2f points [%+.2f, %+.2f]", 50 * (m0 + m1),
                margin[0], margin[1])), first.targets().get(2).measured());
        // The data-scaling study: 240 images has its own run; 480 (the whole training part) is seed 0's run of the largest size.
        JsonNode small = result("pretrain-data240-w64");
        assertEquals(240, small.get("images").asLong());
        String dataLoss = String.format(Locale.ROOT, "240: %.4f > 480: %.4f", small.get("checkpoints").get(2).get("val_loss").asDouble(),
                result("pretrain-s0-w64").get("checkpoints").get(2).get("val_loss").asDouble());
        assertEquals(dataLoss, first.targets().get(4).measured());
        assertEquals(240, result("data").get("subsets").get(0).get("images").asLong());
        // Every step records the git revision and environment it ran with, and the report shows them.
        try (Stream<Path> files = Files.list(repro.resolve("results"))) {
            for (Path f : files.toList()) {
                JsonNode with = JSON.readTree(f.toFile()).get("ran_with");
                assertTrue(with != null && !with.get("git").asText().isEmpty() && with.get("cores").asInt() > 0, f.toString());
                assertTrue(md.contains("| aim4j | test, git " + with.get("git").asText() + " |"), f.toString());
            }
        }
        // Every checkpoint is listed with its SHA-256 and found intact: 2 sizes x 2 seeds + the 240-image run, 3 each.
        assertEquals(15, md.lines().filter(l -> l.matches("\\| w(32|64) seed [01], (240|480) images \\| \\d+ \\| `[0-9a-f]{64}` \\| yes \\|"))
                .count(), md);
    }

    @Test
    void theProseQuotesOnlyThisRunsNumbers() throws IOException {
        String md = Files.readString(first.report());
        String why = md.lines().filter(l -> l.startsWith("Why: ")).findFirst().orElseThrow();
        // Every percentage in the rationale is one of this run's results (the random trunk's and the pixels' means).
        double random = (result("baseline-random-s0").get("test_top1").asDouble() + result("baseline-random-s1").get("test_top1").asDouble()) / 2;
        double pixels = (result("baseline-pixels-s0").get("test_top1").asDouble() + result("baseline-pixels-s1").get("test_top1").asDouble()) / 2;
        List<String> percents = Pattern.compile("\\d+\\.\\d+%").matcher(why).results().map(r -> r.group()).toList();
        double mean = probesMean();
        assertEquals(List.of(Report.pct(random), Report.pct(pixels), Report.pct(mean)), percents, why);
    }

    private double probesMean() throws IOException {
        return checkpointProbes().stream().mapToDouble(p -> p.get("test_top1").asDouble()).average().orElseThrow();
    }

    @Test
    void aRecordedCommandReproducesItsNumberAlone() throws IOException {
        JsonNode probe = result("probe-s1-w64-step-00000004");
        assertEquals(1, probe.get("seed").asLong());
        List<String> args = new ArrayList<>(List.of(probe.get("command").asText().split(" ")));
        assertEquals("aim4j", args.removeFirst());
        Path again = dir.resolve("again");
        args.set(args.indexOf("--out") + 1, again.toString());
        assertEquals(0, quietly(() -> Main.run(args.toArray(String[]::new))));
        assertEquals(probe.get("test_top1").asDouble(), JSON.readTree(again.resolve("results.json").toFile()).get("best").get("test_top1").asDouble(),
                0.0);
    }

    @Test
    void anInterruptedReproductionContinuesToTheSameNumbers() throws IOException {
        Path copy = dir.resolve("interrupted");
        copyTree(repro, copy);
        // As if killed during the second seed's larger size's last pre-training steps: its last checkpoint, the results after it
        // and the report are gone.
        deleteTree(copy.resolve("runs/seed-1/w64/checkpoints/step-00000006"));
        try (Stream<Path> files = Files.list(copy.resolve("results"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().matches("(.*-s1-w64.*|baseline-.*-s1|.*data240.*)\\.json")).toList()) {
                Files.delete(f);
            }
        }
        Files.delete(copy.resolve("report.md"));
        Report.Outcome again = quietly(() -> reproduce(tinyPlan(), copy));
        for (int i = 0; i < first.targets().size(); i++) {
            if (!first.targets().get(i).name().contains("run time")) {
                assertEquals(first.targets().get(i).measured(), again.targets().get(i).measured(), first.targets().get(i).name());
            }
        }
        List<String> a = Files.readAllLines(repro.resolve("runs/seed-1/w64/metrics.jsonl"));
        List<String> b = Files.readAllLines(copy.resolve("runs/seed-1/w64/metrics.jsonl"));
        assertEquals(a.size(), b.size(), "one metrics line per step after the resume");
        assertEquals(parse(a.getLast()).get("loss"), parse(b.getLast()).get("loss"));
    }

    @Test
    void workersSideBySideShareTheUnitsAndEndWithTheSameNumbers() throws Exception {
        Path side = dir.resolve("side-by-side");
        // Two worker processes, as `reproduce --jobs 2` starts them.
        Reproduction.Workers two = new WorkerProcesses(2, Main.class.getName(), List.of("reproduce", "synthetic", "--out", side.toString(),
                "--worker"));
        Report.Outcome parallel = quietly(() -> new Reproduction(tinyPlan(), side, "synthetic:600,16", QUIET, "test").run(two));
        // Every unit was taken once: 2 sizes x 2 seeds, the 240-image run, 2 baselines x 2 seeds.
        try (Stream<Path> claims = Files.list(side.resolve("claims"))) {
            assertEquals(9, claims.count());
        }
        // Each stored number agrees with the one-process run's: the same steps with the same seeds, where only the order of
        // floating-point sums may differ with a worker's single libtorch thread (losses to 1e-4 relative; top-1 to two of the
        // 200 test images, one flipped prediction moving it by 0.005).
        try (Stream<Path> files = Files.list(repro.resolve("results"))) {
            for (Path f : files.filter(p -> !p.getFileName().toString().startsWith("wall-")).toList()) {
                JsonNode a = JSON.readTree(f.toFile());
                JsonNode b = JSON.readTree(side.resolve("results").resolve(f.getFileName()).toFile());
                if (a.has("test_top1")) {
                    assertEquals(a.get("test_top1").asDouble(), b.get("test_top1").asDouble(), 0.0101, f.toString());
                }
                for (int c = 0; a.has("checkpoints") && c < a.get("checkpoints").size(); c++) {
                    double x = a.get("checkpoints").get(c).get("val_loss").asDouble();
                    assertEquals(x, b.get("checkpoints").get(c).get("val_loss").asDouble(), 1e-4 * x, f.toString());
                }
            }
        }
        assertEquals(first.targets().size(), parallel.targets().size());
        String md = Files.readString(parallel.report());
        assertTrue(md.lines().anyMatch(l -> l.startsWith("Wall time: ") && l.contains("in 1 invocation(s)") && l.contains("2 worker(s)")), md);
    }

    @Test
    void aFailedWorkerFailsTheRunInOneLine() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("unprepared"));
        IOException e = assertThrows(IOException.class, () -> quietly(() -> {
            new WorkerProcesses(2, Main.class.getName(), List.of("reproduce", "synthetic", "--out", empty.toString(), "--worker")).run();
            return null;
        }));
        assertTrue(e.getMessage().matches("reproduce: worker [12] of 2 stopped with exit code 1 .*re-run the same command to continue"),
                e.getMessage());
    }

    @Test
    void aFolderHoldsOneExperiment() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> quietly(() -> reproduce(tinyPlan().with(null, 8L, 3, null, Precision.BF16), repro)));
        assertTrue(e.getMessage().contains("another plan") && e.getMessage().contains("steps 6 -> 8") && e.getMessage().contains("seeds 2 -> 3")
                && e.getMessage().contains("dtype \"fp32\" -> \"bf16\""), e.getMessage());
        // A plan stored before --dtype existed ran in float32: the same command continues it.
        Path plan = repro.resolve("plan.json");
        String stored = Files.readString(plan);
        ObjectNode withoutDtype = (ObjectNode) JSON.readTree(stored);
        assertEquals("fp32", withoutDtype.remove("dtype").asText());
        try {
            Files.writeString(plan, withoutDtype.toString());
            assertEquals(first.summary(), quietly(() -> reproduce(tinyPlan(), repro)).summary());
        } finally {
            Files.writeString(plan, stored);
        }
        // A folder of the plan format before seeds is refused as such.
        Path old = dir.resolve("old");
        Files.createDirectories(old);
        Files.writeString(old.resolve("plan.json"), "{\"dataset\": \"synthetic\", \"seed\": 0, \"steps\": 6}\n");
        e = assertThrows(IllegalArgumentException.class, () -> quietly(() -> reproduce(tinyPlan(), old)));
        assertTrue(e.getMessage().contains("older plan format"), e.getMessage());
    }

    @Test
    void bf16ReachesEveryPretrainingAndProbe() throws IOException {
        Path bf16 = dir.resolve("bf16");
        quietly(() -> reproduce(tinyPlan().with(null, null, 1, List.of(), Precision.BF16), bf16));
        List<Path> steps;
        try (var files = Files.list(bf16.resolve("results"))) {
            steps = files.filter(f -> f.getFileName().toString().matches("(pretrain|probe|final|baseline)-.*\\.json")).sorted().toList();
        }
        assertTrue(steps.size() >= 2 + 2 * 3 + 2 + 2, "two runs, their checkpoints, final probes and baselines: " + steps);
        for (Path step : steps) {
            String command = JSON.readTree(step.toFile()).get("command").asText();
            assertTrue(command.contains("--dtype bf16"), step.getFileName() + ": " + command);
        }
        assertTrue(Files.readString(bf16.resolve("report.md")).contains("pre-training and probes in bf16 mixed precision"));
    }

    @Test
    void plansRefuseWhatCannotBeCompared() {
        assertThrows(IllegalArgumentException.class, () -> tinyPlan().with(List.of(64), null, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> tinyPlan().with(List.of(64, 32), null, null, null, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tinyPlan().with(List.of(32, 48), null, null, null, null));
        assertTrue(e.getMessage().contains("48"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> tinyPlan().with(null, null, 0, null, null)).getMessage().contains("--seeds"));
        for (List<Long> bad : List.of(List.of(240L), List.of(240L, 240L), List.of(16L, 480L), List.of(240L, 481L))) {
            e = assertThrows(IllegalArgumentException.class, () -> tinyPlan().with(null, null, null, bad, null));
            assertTrue(e.getMessage().startsWith("--data-sizes"), e.getMessage());
        }
        assertFalse(ReproducePlan.full("fmnist").quick());
    }

    private static JsonNode parse(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t);
                }
            }
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
