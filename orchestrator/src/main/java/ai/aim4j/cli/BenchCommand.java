package ai.aim4j.cli;

import ai.aim4j.bench.AllReduceBench;
import ai.aim4j.bench.AllReducePeer;
import ai.aim4j.bench.DataBenchRunner;
import ai.aim4j.bench.ForwardBench;
import ai.aim4j.bench.Interleaved;
import ai.aim4j.bench.LoadBench;
import ai.aim4j.bench.ProbeBench;
import ai.aim4j.bench.SideBySide;
import ai.aim4j.bench.StreamBench;
import ai.aim4j.bench.TrainBench;
import ai.aim4j.data.BatchTensors;
import ai.aim4j.dist.MpiRun;
import ai.aim4j.files.FileTrees;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.Counts;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.weights.WeightFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code aim4j bench ...}: performance measurements (medians, side by side in one run). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.", subcommands = {BenchCommand.Forward.class, BenchCommand.Load.class, BenchCommand.Data.class, BenchCommand.Train.class, BenchCommand.Probe.class,
        BenchCommand.AllReduce.class, BenchCommand.Stream.class})
final class BenchCommand {

    @Command(name = "forward", mixinStandardHelpOptions = true,
            description = "Images/s and achieved GFLOP/s of the forward pass (every block and the probe head), next to aim4j's reference"
                    + " model in PyTorch (eager, SDPA, torch.compile, bf16 autocast) and JAX (jit, fp32 and bf16) from the Python environment,"
                    + " against the matmul rates measured in the same run and the theoretical peak of this CPU.")
    static final class Forward implements Callable<Integer> {
        @Mixin
        ModelOptions model;

        @Mixin
        PeerOptions peers;

        @Option(names = "--batch", split = ",", defaultValue = "8,1", description = "images per forward pass, one run each (default: ${DEFAULT-VALUE})")
        List<Integer> batches;

        @Option(names = "--iters", defaultValue = "10", description = "timed iterations per round (default: ${DEFAULT-VALUE})")
        int iters;

        @Option(names = "--warmup", defaultValue = "3", description = "untimed iterations first, and at least 2 s of them (default: ${DEFAULT-VALUE})")
        int warmup;

        @Mixin
        ProfileOption profileOption;

        @Override
        public Integer call() throws Exception {
            Counts.allAtLeast("--batch", batches, 1);
            Path profile = profileOption.folder();
            Interleaved.Schedule schedule = peers.schedule(warmup, iters);
            AimConfig c = model.resolve(null);
            PeerOptions.Setup run = peers.setup(System.out);
            for (int batch : batches) {
                SideBySide table = ForwardBench.run(c, batch, schedule, run.precisions(), run.python(), run.modes(), run.peak(),
                        System.err);
                System.out.println(ForwardBench.describe(c, batch));
                table.print(System.out);
                if (profile != null) {
                    ForwardBench.profile(c, batch, warmup, iters, run.precisions(), profile, System.out);
                }
            }
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
            Counts.atLeast("--batches", batches, 1);
            DataBenchRunner.run(fmnist, batches, System.out);
            return 0;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Pre-training step time, images/s and achieved GFLOP/s, next to the same step of aim4j's reference model in PyTorch"
                    + " (eager, SDPA, torch.compile, bf16 autocast) and JAX (jit with optax's AdamW, fp32 and bf16) from the Python environment,"
                    + " against the matmul rates measured in the same run and the theoretical peak of this CPU. Default: width 192 and 384"
                    + " (6 blocks, 64 tokens, head 256x2) and the 224 px / 14 px geometry.")
    static final class Train implements Callable<Integer> {
        @Mixin
        PeerOptions peers;

        @Option(names = "--model", description = "one model (preset or config file with a decoder section) instead of the defaults")
        String model;

        @Option(names = "--batch", description = "images per step (default 64; 8 for 224 px)")
        Integer batch;

        @Option(names = "--steps", defaultValue = "10", description = "timed steps per round (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--warmup", defaultValue = "3", description = "untimed steps first, and at least 2 s of them (default: ${DEFAULT-VALUE})")
        int warmup;

        @Mixin
        ProfileOption profileOption;

        @Override
        public Integer call() throws Exception {
            if (batch != null) {
                Counts.atLeast("--batch", batch, 1);
            }
            Path profile = profileOption.folder();
            Interleaved.Schedule schedule = peers.schedule(warmup, steps);
            List<TrainBench.Geometry> geometries = model != null ? List.of(new TrainBench.Geometry(model, ModelSpecs.pretraining(model), 64))
                    : TrainBench.defaults();
            PeerOptions.Setup run = peers.setup(System.out);
            for (TrainBench.Geometry g : geometries) {
                int b = batch == null ? g.batch() : batch;
                SideBySide table = TrainBench.run(g.config(), b, schedule, run.precisions(), run.python(), run.modes(), run.peak());
                System.out.println(TrainBench.describe(g.name(), g.config(), b));
                table.print(System.out);
                if (profile != null) {
                    TrainBench.profile(g.config(), b, warmup, steps, run.precisions(), profile, System.out);
                }
            }
            return 0;
        }
    }

    @Command(name = "probe", mixinStandardHelpOptions = true,
            description = "Probe training speed: trunk features, one head and a grid of heads on cached features, and the grid's cost"
                    + " against separate runs (cached, and with the trunk in the loop); then one head's step next to aim4j's reference"
                    + " head in PyTorch (eager, SDPA, torch.compile, bf16 autocast) and JAX (jit, fp32 and bf16) from the Python"
                    + " environment.")
    static final class Probe implements Callable<Integer> {
        @Mixin
        PeerOptions peers;

        @Option(names = "--model", description = "trunk geometry (preset or config); default width 384, 6 blocks, 32 px, 64 tokens")
        String model;

        @Option(names = "--images", defaultValue = "2048", description = "cached images for the epochs (default: ${DEFAULT-VALUE})")
        int images;

        @Option(names = "--heads", defaultValue = "4", description = "heads in the grid (default: ${DEFAULT-VALUE})")
        int heads;

        @Option(names = "--steps", defaultValue = "5", description = "timed steps per round beside the peers (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--warmup", defaultValue = "2", description = "untimed steps first, and at least 2 s of them (default: ${DEFAULT-VALUE})")
        int warmup;

        @Override
        public Integer call() throws Exception {
            Counts.atLeast("--images", images, 1);
            Counts.atLeast("--heads", heads, 1);
            AimConfig c = model != null ? ModelSpecs.trunk(model) : ProbeBench.defaultModel();
            Interleaved.Schedule schedule = peers.schedule(warmup, steps);
            PeerOptions.Setup run = peers.setup(System.out);
            ProbeBench.run(c, images, heads, BatchTensors.loaderThreads(), System.out);
            SideBySide table = ProbeBench.sideBySide(c, schedule, run.precisions(), run.python(), run.modes(), run.peak());
            System.out.printf("one head's step on %d cached feature rows of %d x %d, beside the peers%n", ProbeBench.BATCH, c.numPatches(), c.dim());
            table.print(System.out);
            return 0;
        }
    }

    @Command(name = "allreduce", mixinStandardHelpOptions = true,
            description = "All-reduce latency and bus bandwidth by message size over N ranks (Open MPI from Java, next to the same calls"
                    + " from C), the share of a data-parallel pre-training step spent in communication for the bench train geometries, and"
                    + " the predicted efficiency at 8, 64 and 512 ranks on 25 and 100 Gb/s.")
    static final class AllReduce implements Callable<Integer> {
        @Mixin
        JobOptions job;

        @Option(names = "--steps", defaultValue = "5", description = "timed training steps per geometry (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--result", hidden = true, description = "where a rank of the benchmark's own job writes what it measured")
        Path result;

        @Override
        public Integer call() throws Exception {
            Counts.atLeast("--steps", steps, 1);
            if (result != null) {
                return Ranks.run(comm -> {
                    AllReduceBench.rank(comm, result, steps);
                    return 0;
                });
            }
            if (job.nproc < 2) {
                throw new IllegalArgumentException("--nproc must be at least 2: an all-reduce of one rank moves nothing");
            }
            if (!MpiRun.installed()) {
                throw new IllegalStateException("bench allreduce needs Open MPI's mpirun: install it (Debian and Ubuntu: apt install openmpi-bin"
                        + " libopenmpi-dev)");
            }
            Path work = Files.createTempDirectory("aim4j-allreduce");
            try {
                int threads = job.threads();
                Path measured = work.resolve("aim4j.json");
                List<String> rank = RankCommand.of(threads, List.of("bench", "allreduce", "--nproc", Integer.toString(job.nproc), "--result",
                        measured.toString(), "--steps", Integer.toString(steps)));
                int code = new ProcessBuilder(MpiRun.command(job.nproc, job.hosts, threads, rank)).inheritIO().start().waitFor();
                if (code != 0) {
                    return code;
                }
                String whyNoPeer = AllReducePeer.unavailable();
                List<AllReduceBench.Sweep> peer = null;
                if (whyNoPeer == null) {
                    try {
                        peer = AllReducePeer.run(job.nproc, job.hosts, work);
                    } catch (IOException | RuntimeException e) {
                        // aim4j's own figures stand without the peer's; the reason is its first line (a compiler's output goes on).
                        whyNoPeer = Objects.toString(e.getMessage(), e.toString()).lines().findFirst().orElse("failed");
                    }
                }
                AllReduceBench.print(AllReduceBench.read(measured), peer, whyNoPeer, System.out);
                return 0;
            } finally {
                FileTrees.delete(work);
            }
        }
    }

    @Command(name = "stream", mixinStandardHelpOptions = true,
            description = "Images/s delivered into JAX (device_put with may_alias, block_until_ready) by aim4j stream through Python's"
                    + " JavaLoader, next to a Pillow + NumPy multiprocessing pipeline doing the same pre-training augmentation, in one run."
                    + " Needs the Python environment (./aim4j python setup).")
    static final class Stream implements Callable<Integer> {
        @Option(names = "--data", description = "an aim4j folder of encoded images (default: generated 224 px JPEGs)")
        Path data;

        @Option(names = "--images", defaultValue = "512", description = "generated images without --data (default: ${DEFAULT-VALUE})")
        int images;

        @Option(names = "--batch-size", defaultValue = "32", description = "images per batch (default: ${DEFAULT-VALUE})")
        int batchSize;

        @Option(names = "--workers", description = "Java decoding threads and Python worker processes (default: the cores)")
        Integer workers;

        @Option(names = "--windows", defaultValue = "5", description = "timed windows per side (default: ${DEFAULT-VALUE})")
        int windows;

        @Option(names = "--batches", defaultValue = "8", description = "batches per timed window (default: ${DEFAULT-VALUE})")
        int batches;

        @Override
        public Integer call() throws Exception {
            Counts.atLeast("--images", images, 1);
            Counts.atLeast("--batch-size", batchSize, 1);
            Counts.atLeast("--windows", windows, 1);
            Counts.atLeast("--batches", batches, 1);
            int w = workers != null ? workers : Runtime.getRuntime().availableProcessors();
            Counts.atLeast("--workers", w, 1);
            StreamBench.run(data, images, batchSize, w, windows, batches, RankCommand.of(0, List.of())).print(System.out);
            return 0;
        }
    }
}
