package ai.aim4j.cli;

import ai.aim4j.probe.ProbeEngine;
import ai.aim4j.probe.ProbeResult;
import ai.aim4j.probe.ProbeSettings;
import ai.aim4j.run.Precision;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aim4j probe}: attentive probing of a frozen trunk, with a (lr, weight decay) grid trained in one pass. */
@Command(name = "probe", mixinStandardHelpOptions = true,
        description = "Train attention-pooling probe heads on frozen trunk features: a held-out part of --data picks the grid point,"
                + " --val-data is the reported test split. Writes OUT/results.json and the best head as OUT/head.safetensors (ml-aim names).")
final class ProbeCommand implements Callable<Integer> {
    @Option(names = "--weights", description = "trunk weights (any format; pre-training checkpoints too)")
    Path weights;

    @Option(names = "--random-trunk", description = "probe a randomly initialized trunk of the same config (a baseline)")
    boolean randomTrunk;

    @Option(names = "--pixels", description = "softmax regression on the model's normalized input pixels (the raw-pixel baseline; needs --model)")
    boolean pixels;

    @Option(names = "--model", description = "preset, model config (JSON/.py; a pre-training config's trunk), or inferred from --weights")
    String model;

    @Option(names = "--data", required = true, description = "training shards (a held-out part is carved out of them)")
    Path data;

    @Option(names = "--val-data", required = true, description = "test shards: the split whose accuracy is reported")
    Path valData;

    @Option(names = "--out", required = true, description = "output folder")
    Path out;

    @Option(names = "--probe-layers", description = "last, best, or a list such as 2,3")
    String probeLayers;

    @Option(names = "--epochs", defaultValue = "10")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "" + ProbeSettings.BATCH)
    int batch;

    @Option(names = {"--lr-grid", "--lr"}, split = ",", defaultValue = "1e-3", description = "learning rates (default: ${DEFAULT-VALUE})")
    List<Double> lrs;

    @Option(names = {"--wd-grid", "--wd"}, split = ",", defaultValue = "" + ProbeSettings.WEIGHT_DECAY,
            description = "weight decays (default: ${DEFAULT-VALUE})")
    List<Double> wds;

    @Option(names = "--holdout", defaultValue = "" + ProbeSettings.HOLDOUT, description = "fraction of --data held out to choose the grid point")
    double holdout;

    @Option(names = "--train-limit", defaultValue = "9223372036854775807", description = "use at most this many training images")
    long trainLimit;

    @Option(names = "--test-limit", defaultValue = "9223372036854775807", description = "use at most this many test images")
    long testLimit;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Option(names = "--augment", defaultValue = "none", description = "none (features cached once), rrc or rrc+jitter (the trunk runs"
            + " per batch on augmented images; held-out and test parts are never augmented)")
    String augment;

    @Option(names = "--cache-features", description = "store the trunk's features as Arrow shards in OUT/features and reuse them"
            + " on the next run with the same trunk, data and split (e.g. another grid)")
    boolean cacheFeatures;

    @Option(names = "--dtype", defaultValue = "fp32", description = "fp32, or bf16: mixed precision for the trunk's and the heads'"
            + " passes (PyTorch autocast's policy; features are kept in float32) (default: ${DEFAULT-VALUE})")
    String dtype;

    ProbeSettings settings() {
        if ((weights == null ? 0 : 1) + (randomTrunk ? 1 : 0) + (pixels ? 1 : 0) != 1) {
            throw new IllegalArgumentException("give one of --weights, --random-trunk (with --model) and --pixels (with --model)");
        }
        ProbeSettings.Trunk trunk = weights != null ? new ProbeSettings.Trunk.Weights(weights)
                : randomTrunk ? new ProbeSettings.Trunk.Random() : new ProbeSettings.Trunk.Pixels();
        return new ProbeSettings(trunk, model, data, valData, out, probeLayers, epochs, batch, lrs, wds, holdout, trainLimit, testLimit, seed,
                augment, cacheFeatures, Precision.of(dtype));
    }

    @Override
    public Integer call() throws Exception {
        ProbeSettings s = settings();
        return Ranks.run(comm -> {
            ProbeResult r = ProbeEngine.run(s, comm, System.err);
            if (r != null) {
                print(r);
            }
            return 0;
        });
    }

    private void print(ProbeResult r) {
        System.out.printf("%-10s %-10s %12s %12s%n", "lr", "wd", "held-out", "test");
        for (ProbeResult.Point g : r.grid()) {
            System.out.printf("%-10.2e %-10.2e %11.2f%% %11.2f%%%n", g.lr(), g.weightDecay(), 100 * g.heldOutTop1(), 100 * g.testTop1());
        }
        ProbeResult.Point b = r.best();
        System.out.printf("best (chosen on held-out): lr %.2e, wd %.2e -> test top-1 %.2f%%; head in %s%n", b.lr(), b.weightDecay(),
                100 * b.testTop1(), out.resolve("head.safetensors"));
    }
}
