package ai.aim4j.cli;

import ai.aim4j.bench.DataBenchRunner;
import ai.aim4j.bench.ForwardBench;
import ai.aim4j.bench.LoadBench;
import ai.aim4j.model.io.NamedTensors;
import ai.aim4j.weights.WeightFiles;
import java.nio.file.Path;
import ai.aim4j.model.AimConfig;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aim4j bench ...}: performance measurements (medians, side by side in one run). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.", subcommands = {BenchCommand.Forward.class, BenchCommand.Load.class, BenchCommand.Data.class})
final class BenchCommand {

    @Command(name = "forward", mixinStandardHelpOptions = true,
            description = "Images/s and achieved GFLOP/s of the forward pass, next to this machine's fp32 matmul rate measured in the same run.")
    static final class Forward implements Callable<Integer> {
        @Mixin
        ModelOptions model;

        @Option(names = "--batch", defaultValue = "1", description = "images per forward pass (default: ${DEFAULT-VALUE})")
        int batch;

        @Option(names = "--iters", defaultValue = "10", description = "timed iterations (default: ${DEFAULT-VALUE})")
        int iters;

        @Option(names = "--warmup", defaultValue = "3", description = "untimed iterations first (default: ${DEFAULT-VALUE})")
        int warmup;

        @Override
        public Integer call() throws Exception {
            AimConfig c = model.resolve(null);
            ForwardBench.Result r = ForwardBench.run(c, batch, warmup, iters, System.out);
            r.print(System.out);
            return 0;
        }
    }

    @Command(name = "load", mixinStandardHelpOptions = true,
            description = "Load a weights file, run one forward pass, and report the load time and peak resident memory against the file size.")
    static final class Load implements Callable<Integer> {
        @Mixin
        ModelOptions model;

        @Option(names = "--weights", required = true, description = "weights file")
        Path weights;

        @Override
        public Integer call() throws Exception {
            long start = System.nanoTime();
            NamedTensors tensors = WeightFiles.read(weights);
            long open = System.nanoTime() - start;
            LoadBench.run(weights, model.resolve(tensors), tensors, open, System.out);
            return 0;
        }
    }

    @Command(name = "data", mixinStandardHelpOptions = true,
            description = "Loader throughput: raw 28x28 Fashion-MNIST batches (no transform) and 224 px JPEGs with the pre-training"
                    + " transform, on 1 thread and on every core; heap bytes per batch.")
    static final class Data implements Callable<Integer> {
        @Option(names = "--fmnist", description = "Fashion-MNIST IDX folder (default: Debian's; synthetic 28x28 images when absent)")
        Path fmnist;

        @Option(names = "--batches", defaultValue = "200", description = "timed batches per configuration (default: ${DEFAULT-VALUE})")
        int batches;

        @Override
        public Integer call() throws Exception {
            DataBenchRunner.run(fmnist, batches, System.out);
            return 0;
        }
    }
}
