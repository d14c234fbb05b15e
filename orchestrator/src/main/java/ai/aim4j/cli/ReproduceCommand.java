package ai.aim4j.cli;

import ai.aim4j.arrow.source.FashionMnist;
import ai.aim4j.reproduce.Report;
import ai.aim4j.reproduce.ReproducePlan;
import ai.aim4j.reproduce.Reproduction;
import ai.aim4j.reproduce.WorkerProcesses;
import ai.aim4j.run.Counts;
import ai.aim4j.run.Precision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aim4j reproduce}: the paper's two findings at the scale of this machine, with a report. */
@Command(name = "reproduce", mixinStandardHelpOptions = true,
        description = "Reproduce AIM's findings (capacity scaling; loss tracks downstream accuracy; more data helps): shard the data,"
                + " pre-train several sizes with several seeds, validate and probe every checkpoint, probe the final ones and two"
                + " baselines, pre-train the largest size on nested data subsets, write OUT/report.md with figures, 95%% intervals and"
                + " PASS/FAIL targets. Re-running the same command continues an interrupted reproduction.")
final class ReproduceCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "fmnist (Fashion-MNIST) or synthetic (built in, no files needed)")
    String dataset;

    @Option(names = "--out", required = true, description = "reproduction folder")
    Path out;

    @Option(names = "--quick", description = "the few-minute version (smaller sizes, fewer steps, probe subsets)")
    boolean quick;

    @Option(names = "--sizes", split = ",", description = "trunk widths, smallest first, multiples of 32 (default: the plan's)")
    List<Integer> sizes;

    @Option(names = "--steps", description = "pre-training steps of every size (default: the plan's)")
    Long steps;

    @Option(names = "--seeds", description = "repeats of every size and baseline, for means and 95%% intervals (default: the plan's,"
            + " 3 for the full run, 1 for --quick)")
    Integer seeds;

    @Option(names = "--data-sizes", split = ",", description = "training images of the data-scaling runs of the largest size, smallest"
            + " first (nested subsets; default: the plan's; 0 for none)")
    List<Long> dataSizes;

    @Option(names = "--dtype", description = "the arithmetic of every pre-training and probe: fp32, or bf16 (mixed precision; fast"
            + " where the CPU has bf16 units, AMX or AVX512-BF16) (default: the plan's, fp32)")
    String dtype;

    @Option(names = "--fmnist-dir", description = "Fashion-MNIST IDX files (default: ${DEFAULT-VALUE})")
    Path fmnistDir = FashionMnist.DEFAULT_DIR;

    @Option(names = "--jobs", description = "worker processes side by side, the cores shared among them (default: one per core,"
            + " ${DEFAULT-VALUE} here)")
    int jobs = Runtime.getRuntime().availableProcessors();

    @Option(names = "--worker", hidden = true, description = "run as one of the workers of --jobs: the plan and data are ready in --out")
    boolean worker;

    @Override
    public Integer call() throws Exception {
        List<Long> data = dataSizes == null ? null : dataSizes.equals(List.of(0L)) ? List.of() : dataSizes;
        Counts.atLeast("--jobs", jobs, 1);
        if (worker) {
            Reproduction.worker(out, System.err, Main.VERSION).work();
            return 0;
        }
        Report.Outcome outcome = run(dataset, quick, sizes, steps, seeds, data, dtype == null ? null : Precision.of(dtype), out, fmnistDir, jobs);
        System.out.print(outcome.summary());
        System.out.println("report: " + outcome.report());
        return outcome.passed() ? 0 : 1;
    }

    /**
     * The reproduction of {@code dataset} (shared with {@code aim4j demo}), run by {@code jobs}
     * worker processes side by side (by this one alone when 1); the steps' progress goes to standard error.
     */
    static Report.Outcome run(String dataset, boolean quick, List<Integer> sizes, Long steps, Integer seeds, List<Long> dataSizes,
                              Precision precision, Path out, Path fmnistDir, int jobs) throws Exception {
        Reproduction r = reproduction(dataset, quick, sizes, steps, seeds, dataSizes, precision, out, fmnistDir);
        if (jobs == 1) {
            return r.run();
        }
        return r.run(new WorkerProcesses(jobs, Main.class.getName(), List.of("reproduce", dataset, "--out", out.toString(),
                "--worker")));
    }

    /** The reproduction the options describe: the plan of {@code dataset}, with the options applied last. */
    private static Reproduction reproduction(String dataset, boolean quick, List<Integer> sizes, Long steps, Integer seeds,
                                             List<Long> dataSizes, Precision precision, Path out, Path fmnistDir) {
        ReproducePlan plan = quick ? ReproducePlan.quick(dataset) : ReproducePlan.full(dataset);
        String source;
        if (dataset.equals("fmnist")) {
            if (!Files.isDirectory(fmnistDir)) {
                throw new IllegalArgumentException("no Fashion-MNIST files in " + fmnistDir + " (install Debian's dataset-fashion-mnist,"
                        + " pass --fmnist-dir DIR, or reproduce on the built-in synthetic dataset)");
            }
            source = "fashion-mnist:" + fmnistDir;
        } else {
            plan = plan.withImages(ReproducePlan.SYNTHETIC_TRAIN, ReproducePlan.SYNTHETIC_VAL, ReproducePlan.SYNTHETIC_TEST);
            source = "synthetic:" + (plan.trainImages() + plan.valImages()) + "," + plan.image();
        }
        // The options apply last, so the data sizes given are the ones used on either dataset.
        plan = plan.with(sizes, steps, seeds, dataSizes, precision);
        return new Reproduction(plan, out, source, System.err, Main.VERSION);
    }
}
