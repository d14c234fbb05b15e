package ai.aim4j.cli;

import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.interop.worker.PythonWorker;
import ai.aim4j.parity.LiveParity;
import ai.aim4j.parity.ParityCheck;
import ai.aim4j.parity.ParityRow;
import ai.aim4j.parity.PretrainParity;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aim4j parity check DIR}: the Java model against reference outputs of the official code. */
@Command(name = "parity", mixinStandardHelpOptions = true, description = "Numerical parity against the official implementation.",
        subcommands = {ParityCommand.Check.class, ParityCommand.Pretrain.class, ParityCommand.Live.class})
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

    @Command(name = "live", mixinStandardHelpOptions = true,
            description = "Run the Java model and a Python reference (JAX or PyTorch, in a CPython worker) on the same batch and compare"
                    + " every block's output, the features and the logits (with --pretrain: the loss, every gradient, the grad norm and"
                    + " one AdamW step against optax / torch.optim). Exit 0 only if all pass.")
    static final class Live implements Callable<Integer> {
        @Option(names = "--backend", required = true, description = "the Python side: jax or torch")
        String backend;

        @Option(names = "--reference", defaultValue = "aim4j",
                description = "aim4j (the package's own models) or ml-aim (Apple's aim.v1 package, when installed); default: ${DEFAULT-VALUE}")
        String reference;

        @Option(names = "--weights", required = true, description = "weights file (.safetensors, .pth, Flax .msgpack/.npz)")
        Path weights;

        @Option(names = "--config", description = "preset or config file (default: the config the weights imply; --pretrain needs one)")
        String config;

        @Option(names = "--data", description = "dataset folder: its first images, as evaluation sees them")
        Path data;

        @Option(names = "--random", description = "this many standard-normal images (the default, with 4)")
        Integer random;

        @Option(names = "--dtype", description = "float32, float64, or bf16: the float32 model under bf16 mixed precision against"
                + " PyTorch's torch.autocast (torch backend, aim4j reference) (default: float32 and float64)")
        String dtype;

        @Option(names = "--pretrain", description = "the pre-training step instead of the forward pass")
        boolean pretrain;

        @Option(names = "--seed", defaultValue = "0", description = "seed of the random images and prefix lengths")
        long seed;

        @Option(names = "--batch", defaultValue = "4", description = "images taken from --data (default: ${DEFAULT-VALUE})")
        int batch;

        @Override
        public Integer call() throws Exception {
            if (!List.of("jax", "torch").contains(backend)) {
                throw new IllegalArgumentException("--backend must be jax or torch, not " + backend);
            }
            if (!List.of("aim4j", "ml-aim").contains(reference)) {
                throw new IllegalArgumentException("--reference must be aim4j or ml-aim, not " + reference);
            }
            if (data != null && random != null) {
                throw new IllegalArgumentException("--data and --random choose the input: give one");
            }
            List<DataType> precisions = dtype == null ? List.of(DataType.FLOAT32, DataType.FLOAT64) : switch (dtype) {
                case "float32" -> List.of(DataType.FLOAT32);
                case "float64" -> List.of(DataType.FLOAT64);
                case "bf16" -> List.of(DataType.BFLOAT16);
                default -> throw new IllegalArgumentException("--dtype must be float32, float64 or bf16, not " + dtype);
            };
            if (precisions.contains(DataType.BFLOAT16) && !(backend.equals("torch") && reference.equals("aim4j"))) {
                throw new IllegalArgumentException("--dtype bf16 compares with torch.autocast: it takes --backend torch --reference aim4j");
            }
            int n = data != null ? batch : random != null ? random : 4;
            if (n < 1) {
                throw new IllegalArgumentException("the batch needs at least one image");
            }
            Set<String> notes = new LinkedHashSet<>();
            LiveParity.Request request = new LiveParity.Request(backend, reference, weights, config, data, n, seed, precisions, pretrain, notes::add);
            try (PythonWorker worker = PythonWorker.start(PythonEnvironment.locate(), backend)) {
                System.out.println("== " + weights + " against " + request.label() + (pretrain ? " (pre-training step)" : ""));
                List<ParityRow> rows = LiveParity.run(request, worker);
                notes.forEach(note -> System.out.println("note: " + note));
                return ParityCheck.print(rows, System.out) ? 0 : 1;
            }
        }
    }
}
