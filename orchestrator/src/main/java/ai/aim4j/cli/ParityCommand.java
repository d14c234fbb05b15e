package ai.aim4j.cli;

import ai.aim4j.parity.ParityCheck;
import ai.aim4j.parity.ParityRow;
import ai.aim4j.parity.PretrainParity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aim4j parity check DIR}: the Java model against reference outputs of the official code. */
@Command(name = "parity", mixinStandardHelpOptions = true, description = "Numerical parity against the official implementation.",
        subcommands = {ParityCommand.Check.class, ParityCommand.Pretrain.class})
final class ParityCommand {

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Run the model on a fixture folder (config.json, inputs.npz, outputs.npz, prefix_outputs.npz, weights)"
                    + " and compare every reference tensor; a folder of such folders checks each. Exit 0 only if all pass.")
    static final class Check implements Callable<Integer> {
        @Parameters(index = "0", description = "fixture folder, or a folder of fixture folders")
        Path dir;

        @Option(names = "--weights", description = "weights file(s) to check (default: every weights file in the folder)")
        List<Path> weights = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            List<Path> cases = Files.isRegularFile(dir.resolve("config.json")) ? List.of(dir) : ParityCheck.cases(dir);
            if (cases.isEmpty()) {
                throw new IllegalArgumentException(dir + " holds no fixture (config.json + inputs.npz + outputs.npz)");
            }
            boolean ok = true;
            for (Path c : cases) {
                System.out.println("== " + c);
                List<ParityRow> rows = ParityCheck.run(c, weights);
                ok &= ParityCheck.print(rows, System.out);
            }
            return ok ? 0 : 1;
        }
    }

    @Command(name = "pretrain", mixinStandardHelpOptions = true,
            description = "Check the pre-training numerics on a fixture made with ml-l3m (forward, loss, every gradient, grad norm,"
                    + " one AdamW step with and without clipping, the LR schedule). Exit 0 only if all pass.")
    static final class Pretrain implements Callable<Integer> {
        @Parameters(index = "0", description = "pre-training fixture folder")
        Path dir;

        @Override
        public Integer call() throws Exception {
            return ParityCheck.print(PretrainParity.run(dir), System.out) ? 0 : 1;
        }
    }
}
