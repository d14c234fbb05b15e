package ai.aim4j.cli;

import ai.aim4j.arrow.ShardSet;
import ai.aim4j.model.AimConfig;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.probe.ProbeEngine;
import ai.aim4j.probe.ProbeTrainer;
import ai.aim4j.weights.WeightFiles;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
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

    @Option(names = "--batch-size", defaultValue = "256")
    int batch;

    @Option(names = {"--lr-grid", "--lr"}, split = ",", defaultValue = "1e-3", description = "learning rates (default: ${DEFAULT-VALUE})")
    List<Double> lrs;

    @Option(names = {"--wd-grid", "--wd"}, split = ",", defaultValue = "0.05", description = "weight decays (default: ${DEFAULT-VALUE})")
    List<Double> wds;

    @Option(names = "--holdout", defaultValue = "0.1", description = "fraction of --data held out to choose the grid point")
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

    @Override
    public Integer call() throws Exception {
        if ((weights == null ? 0 : 1) + (randomTrunk ? 1 : 0) + (pixels ? 1 : 0) != 1) {
            throw new IllegalArgumentException("give one of --weights, --random-trunk (with --model) and --pixels (with --model)");
        }
        NamedTensors trunk = weights == null ? null : WeightFiles.read(weights);
        try (ShardSet train = ShardSet.open(data); ShardSet test = ShardSet.open(valData)) {
            AimConfig config = ModelOptions.trunk(model, trunk).withNumClasses(Math.max(2, train.info().classNames().size()));
            if (probeLayers != null) {
                config = config.withProbeLayers(config.resolveProbeLayers(probeLayers));
            }
            List<ProbeTrainer.GridPoint> grid = new ArrayList<>();
            for (double lr : lrs) {
                for (double wd : wds) {
                    grid.add(new ProbeTrainer.GridPoint(lr, wd));
                }
            }
            ProbeEngine.Settings s = new ProbeEngine.Settings(out, epochs, batch, grid, holdout, trainLimit, testLimit, seed,
                    Math.max(1, Runtime.getRuntime().availableProcessors() - 1), cacheFeatures, augment);
            if (!List.of("none", "rrc", "rrc+jitter").contains(augment)) {
                throw new IllegalArgumentException("--augment takes none, rrc or rrc+jitter");
            }
            if (pixels && s.augmented()) {
                throw new IllegalArgumentException("the raw-pixel baseline takes no augmentation");
            }
            ObjectNode r = pixels ? ProbeEngine.runPixels(config, train, test, s, System.err)
                    : ProbeEngine.run(config, trunk, weights == null ? "random (seed " + seed + ")" : weights.toString(), train, test, s, System.err);
            System.out.printf("%-10s %-10s %12s %12s%n", "lr", "wd", "held-out", "test");
            for (JsonNode g : r.get("grid")) {
                System.out.printf("%-10.2e %-10.2e %11.2f%% %11.2f%%%n", g.get("lr").asDouble(), g.get("weight_decay").asDouble(),
                        100 * g.get("held_out_top1").asDouble(), 100 * g.get("test_top1").asDouble());
            }
            JsonNode b = r.get("best");
            System.out.printf("best (chosen on held-out): lr %.2e, wd %.2e -> test top-1 %.2f%%; head in %s%n", b.get("lr").asDouble(),
                    b.get("weight_decay").asDouble(), 100 * b.get("test_top1").asDouble(), out.resolve("head.safetensors"));
        } finally {
            if (trunk != null) {
                trunk.close();
            }
        }
        return 0;
    }
}
