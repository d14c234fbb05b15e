package ai.aim4j.cli;

import ai.aim4j.arrow.source.FashionMnist;
import ai.aim4j.files.FileTrees;
import ai.aim4j.parity.ParityCheck;
import ai.aim4j.parity.ParityRow;
import ai.aim4j.reproduce.Report;
import ai.aim4j.reproduce.Reproduction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code aim4j demo}: what aim4j is for, in a few minutes on this machine: the Java model checked
 * against the official numerics on the shipped fixtures, then the quick reproduction of the paper's
 * findings on Fashion-MNIST (or, without its files, on the built-in synthetic dataset).
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Parity on the shipped fixtures, then the quick reproduction (Fashion-MNIST when installed, else synthetic data)"
                + " in runs/demo-DATASET under the current folder: a short table and the report's location. Re-running it continues or"
                + " re-reads the same reproduction.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", description = "reproduction folder (default: runs/demo-DATASET under the current folder)")
    Path out;

    @Option(names = "--fmnist-dir", description = "Fashion-MNIST IDX files (default: ${DEFAULT-VALUE})")
    Path fmnistDir = FashionMnist.DEFAULT_DIR;

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("aim4j.home", "."));
        boolean parity = parity(home.resolve("parity-tests/src/test/resources/fixtures"));
        String dataset = Files.isDirectory(fmnistDir) ? "fmnist" : "synthetic";
        Path dir = (out != null ? out : Path.of("runs", "demo-" + dataset)).toAbsolutePath();
        System.out.println("2. Quick reproduction of AIM's findings on " + (dataset.equals("fmnist") ? "Fashion-MNIST (" + fmnistDir + ")"
                : "the built-in synthetic dataset (no Fashion-MNIST in " + fmnistDir + ")") + ", writing to " + dir);
        if (out == null && Reproduction.holdsOlderPlan(dir)) {
            // The default folder is the demo's own: results of an earlier plan format are started over, not refused.
            System.out.println("   (its results there are of an older plan format: starting over)");
            FileTrees.delete(dir);
        }
        System.out.flush();
        Report.Outcome outcome = ReproduceCommand.run(dataset, true, null, null, null, null, null, dir, fmnistDir,
                Runtime.getRuntime().availableProcessors());
        System.out.print(outcome.summary());
        System.out.println();
        System.out.println("report: " + outcome.report() + " (figures beside it). The full run: ./aim4j reproduce fmnist --out runs/fmnist");
        return parity && outcome.passed() ? 0 : 1;
    }

    /** Every shipped fixture in every weights format, float32 and float64; one line. */
    private static boolean parity(Path fixtures) throws Exception {
        if (!Files.isDirectory(fixtures)) {
            System.out.println("1. Parity: no fixtures at " + fixtures + " (run from the repository); skipped");
            return true;
        }
        List<ParityRow> rows = new ArrayList<>();
        List<Path> cases = ParityCheck.cases(fixtures);
        for (Path c : cases) {
            rows.addAll(ParityCheck.run(c, List.of()));
        }
        long passed = rows.stream().filter(ParityRow::passed).count();
        double worst = rows.stream().mapToDouble(ParityRow::fractionOfBound).max().orElse(Double.NaN);
        System.out.printf("1. Parity against the official ml-aim numerics: %d of %d comparisons pass on %d fixtures (every weights format,"
                + " float32 and float64; worst error %.3f of its tolerance)%s%n", passed, rows.size(), cases.size(), worst,
                passed == rows.size() ? "" : ": FAILED, see ./aim4j parity check " + fixtures);
        return passed == rows.size();
    }
}
