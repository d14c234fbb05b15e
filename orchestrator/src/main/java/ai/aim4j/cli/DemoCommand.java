package ai.aim4j.cli;

import ai.aim4j.bench.ForwardBench;
import ai.aim4j.model.AimConfig;
import ai.aim4j.parity.ParityCheck;
import ai.aim4j.parity.ParityRow;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code aim4j demo}: what aim4j does, on this machine, in under a minute: the Java model checked
 * against the official numerics on every shipped fixture and weights format, then the forward-pass
 * throughput at the real models' token geometry.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Parity of the Java model on the shipped fixtures (every format, float32 and float64), then a forward benchmark.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--fixtures", description = "fixture root (default: the fixtures shipped in the repository)")
    Path fixtures;

    @Override
    public Integer call() throws Exception {
        Path root = fixtures != null ? fixtures : Path.of(System.getProperty("aim4j.home", "."), "parity-tests/src/test/resources/fixtures");
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("no fixture folder at " + root + " (run from the repository, or pass --fixtures DIR)");
        }
        System.out.println("1. Parity against the official ml-aim numerics (" + root + ")");
        System.out.printf("   %-12s %-22s %-8s %10s %14s%n", "case", "weights", "model", "tensors", "worst err/tol");
        boolean ok = true;
        for (Path c : ParityCheck.cases(root)) {
            List<ParityRow> rows = ParityCheck.run(c, List.of());
            for (String weights : rows.stream().map(ParityRow::weights).distinct().toList()) {
                for (String precision : List.of("float32", "float64")) {
                    List<ParityRow> sel = rows.stream().filter(r -> r.weights().equals(weights) && r.precision().equals(precision)).toList();
                    double worst = sel.stream().mapToDouble(r -> r.maxAbsError() / r.bound()).max().orElse(Double.NaN);
                    boolean pass = sel.stream().allMatch(ParityRow::passed);
                    ok &= pass;
                    System.out.printf("   %-12s %-22s %-8s %10d %14.4f  %s%n", c.getFileName(), weights, precision, sel.size(), worst, pass ? "PASS" : "FAIL");
                }
            }
        }
        System.out.println();
        System.out.println("2. Forward pass at 224 px / 14 px patches (256 tokens), width 768, 12 blocks, batch 8");
        AimConfig vitB = AimConfig.fromJson(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                "{\"name\":\"vit-b-geometry\",\"embed_dim\":768,\"num_blocks\":12,\"num_heads\":12,\"probe_layers\":[6,7,8,9,10,11]}"), "demo");
        ForwardBench.run(vitB, 8, 2, 5, new PrintStream(OutputStream.nullOutputStream())).print(System.out);
        System.out.println();
        System.out.println(ok ? "All parity checks passed. Next: ./aim4j parity check DIR, ./aim4j inspect FILE, ./aim4j --help"
                : "Some parity checks FAILED: see ./aim4j parity check " + root);
        return ok ? 0 : 1;
    }
}
