package ai.aim4j.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.cli.Main;
import ai.aim4j.report.Spearman;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole reproduction at toy scale (16 px synthetic images, widths 32 and 64, six steps): the
 * report's numbers are the steps' own outputs, its commands reproduce them when run alone, and an
 * interrupted reproduction re-run with the same command ends with the same numbers.
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
                new ReproducePlan.Probe(300, 150, 2, List.of(3e-3)), new ReproducePlan.Probe(0, 0, 2, List.of(3e-3)), 0);
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

    @Test
    void reportHoldsTheStepsOwnNumbersFiguresAndTargets() throws IOException {
        String md = Files.readString(first.report());
        assertTrue(md.contains("## Targets"), md);
        assertEquals(5, first.targets().size());
        // A quick run's verdict names the two targets that count for it, never "every target holds".
        String headline = md.lines().filter(l -> l.startsWith("**PASS") || l.startsWith("**FAIL")).findFirst().orElseThrow();
        assertTrue(headline.contains("quick-run targets") && !headline.contains("every target holds"), headline);
        assertTrue(headline.contains(first.targets().get(2).name()) && headline.contains(first.targets().get(4).name()), headline);
        for (String fig : List.of("validation-loss", "training-loss", "loss-vs-probe", "probe-vs-params")) {
            BufferedImage img = ImageIO.read(repro.resolve("figures").resolve(fig + ".png").toFile());
            assertEquals(800, img.getWidth(), fig);
            assertTrue(md.contains("figures/" + fig + ".png"), fig);
        }
        // The correlation target is Spearman over every checkpoint's (validation loss, probe accuracy), read back from the results.
        List<JsonNode> probes = checkpointProbes();
        assertEquals(6, probes.size(), "3 checkpoints x 2 sizes, each probed");
        double rho = Spearman.correlation(probes.stream().mapToDouble(p -> p.get("val_loss").asDouble()).toArray(),
                probes.stream().mapToDouble(p -> p.get("test_top1").asDouble()).toArray());
        assertEquals(String.format(Locale.ROOT, "%.3f", rho), first.targets().get(1).measured());
        // Each checkpoint's validation loss is the one the pre-training run logged at that step.
        for (JsonNode p : probes) {
            Path metrics = repro.resolve("runs/" + ReproducePlan.sizeName(p.get("width").asInt()) + "/metrics.jsonl");
            JsonNode logged = Files.readAllLines(metrics).stream().map(ReproductionTest::parse)
                    .filter(l -> l.get("step").asLong() == p.get("step").asLong()).findFirst().orElseThrow();
            assertEquals(logged.get("val_loss").asDouble(), p.get("val_loss").asDouble(), 0.0);
        }
        // The loss-ordering target compares the final checkpoints' validation losses.
        double small = result("pretrain-w32").get("checkpoints").get(2).get("val_loss").asDouble();
        double large = result("pretrain-w64").get("checkpoints").get(2).get("val_loss").asDouble();
        assertEquals(large < small, first.targets().getFirst().pass());
        assertTrue(md.contains(String.format(Locale.ROOT, "%.2f%%", 100 * result("baseline-pixels").get("test_top1").asDouble())));
        // Every checkpoint is listed with its SHA-256 and found intact.
        assertEquals(6, md.lines().filter(l -> l.matches("\\| w(32|64) \\| \\d+ \\| `[0-9a-f]{64}` \\| yes \\|")).count(), md);
    }

    @Test
    void aRecordedCommandReproducesItsNumberAlone() throws IOException {
        JsonNode probe = result("probe-w64-step-00000004");
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
        // As if killed during the larger size's last pre-training steps: its last checkpoint, its results and the report are gone.
        deleteTree(copy.resolve("runs/w64/checkpoints/step-00000006"));
        try (Stream<Path> files = Files.list(copy.resolve("results"))) {
            for (Path f : files.filter(p -> p.getFileName().toString().contains("w64") || p.getFileName().toString().startsWith("baseline"))
                    .toList()) {
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
        List<String> a = Files.readAllLines(repro.resolve("runs/w64/metrics.jsonl"));
        List<String> b = Files.readAllLines(copy.resolve("runs/w64/metrics.jsonl"));
        assertEquals(a.size(), b.size(), "one metrics line per step after the resume");
        assertEquals(parse(a.getLast()).get("loss"), parse(b.getLast()).get("loss"));
    }

    @Test
    void aFolderHoldsOneExperiment() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> quietly(() -> reproduce(tinyPlan().with(null, 8L), repro)));
        assertTrue(e.getMessage().contains("another plan") && e.getMessage().contains("steps 6 -> 8"), e.getMessage());
    }

    @Test
    void plansRefuseSizesThatCannotBeCompared() {
        assertThrows(IllegalArgumentException.class, () -> tinyPlan().with(List.of(64), null));
        assertThrows(IllegalArgumentException.class, () -> tinyPlan().with(List.of(64, 32), null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tinyPlan().with(List.of(32, 48), null));
        assertTrue(e.getMessage().contains("48"), e.getMessage());
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
