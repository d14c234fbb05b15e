package ai.aim4j.probe;

import ai.aim4j.model.Trunk;
import ai.aim4j.run.Counts;
import ai.aim4j.run.Precision;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What {@code aim4j probe} is asked to do.
 *
 * @param trunk         what is probed: trained weights, a random trunk, or the raw pixels
 * @param model         a preset or config file; null to infer it from the weights
 * @param data          training shards (a held-out part is carved out of them)
 * @param valData       test shards: the split whose accuracy is reported
 * @param out           output folder
 * @param probeLayers   {@code last}, {@code best} or a list; null for the config's own
 * @param epochs        passes over the training part
 * @param batch         images per step
 * @param lrs           the learning-rate grid
 * @param wds           the weight-decay grid
 * @param holdout       fraction of {@code data} held out to choose the grid point
 * @param trainLimit    at most this many training images
 * @param testLimit     at most this many test images
 * @param seed          seed of the random trunk, the heads and the data order
 * @param augment       {@code none} (features cached once), {@code rrc} or {@code rrc+jitter}
 * @param cacheFeatures store the trunk's features as Arrow shards and reuse them
 * @param precision     the arithmetic of the trunk's and the heads' passes
 */
public record ProbeSettings(Trunk trunk, String model, Path data, Path valData, Path out, String probeLayers, int epochs, int batch,
                            List<Double> lrs, List<Double> wds, double holdout, long trainLimit, long testLimit, long seed, String augment,
                            boolean cacheFeatures, Precision precision) {
    /** Images per step unless told otherwise. */
    public static final int BATCH = 256;
    /** The weight decay unless a grid is given. */
    public static final double WEIGHT_DECAY = 0.05;
    /** The fraction of the training split held out to choose the grid point unless told otherwise. */
    public static final double HOLDOUT = 0.1;

    /** What is probed. */
    public sealed interface Trunk {
        /** A trunk's weights file (any format; pre-training checkpoints too). */
        record Weights(Path file) implements Trunk {}

        /** A randomly initialized trunk of the model (a baseline). */
        record Random() implements Trunk {}

        /** Softmax regression on the model's normalized input pixels (the raw-pixel baseline). */
        record Pixels() implements Trunk {}
    }

    public ProbeSettings {
        lrs = List.copyOf(lrs);
        wds = List.copyOf(wds);
        if (!List.of("none", "rrc", "rrc+jitter").contains(augment)) {
            throw new IllegalArgumentException("--augment takes none, rrc or rrc+jitter");
        }
        if (trunk instanceof Trunk.Pixels && !augment.equals("none")) {
            throw new IllegalArgumentException("the raw-pixel baseline takes no augmentation");
        }
        if (model == null && !(trunk instanceof Trunk.Weights)) {
            throw new IllegalArgumentException("--random-trunk and --pixels need --model");
        }
        if (epochs < 1 || batch < 1 || lrs.isEmpty() || wds.isEmpty() || !(holdout > 0 && holdout < 1)) {
            throw new IllegalArgumentException("probe settings need epochs and batch size >= 1, a non-empty grid and a hold-out in (0, 1)");
        }
        if (lrs.stream().anyMatch(lr -> !(lr > 0 && Double.isFinite(lr))) || wds.stream().anyMatch(wd -> !(wd >= 0 && Double.isFinite(wd)))) {
            throw new IllegalArgumentException("--lr values must be positive and --wd values not negative, got " + lrs + " and " + wds);
        }
        Counts.atLeast("--train-limit", trainLimit, 1);
        Counts.atLeast("--test-limit", testLimit, 1);
    }

    /** The (lr, weight decay) grid, trained side by side. */
    public List<ProbeTrainer.GridPoint> grid() {
        List<ProbeTrainer.GridPoint> grid = new ArrayList<>();
        for (double lr : lrs) {
            for (double wd : wds) {
                grid.add(new ProbeTrainer.GridPoint(lr, wd));
            }
        }
        return grid;
    }

    /** Whether the training part is augmented (and so streamed through the trunk). */
    public boolean augmented() {
        return !augment.equals("none");
    }

    /** The equivalent {@code aim4j probe} command line. */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>(List.of("probe"));
        switch (trunk) {
            case Trunk.Weights w -> args.addAll(List.of("--weights", w.file().toString()));
            case Trunk.Random r -> args.add("--random-trunk");
            case Trunk.Pixels p -> args.add("--pixels");
        }
        if (model != null) {
            args.addAll(List.of("--model", model));
        }
        args.addAll(List.of("--data", data.toString(), "--val-data", valData.toString(), "--out", out.toString(),
                "--epochs", Integer.toString(epochs), "--batch-size", Integer.toString(batch), "--lr-grid", join(lrs), "--wd-grid", join(wds),
                "--holdout", Double.toString(holdout), "--seed", Long.toString(seed), "--augment", augment));
        if (probeLayers != null) {
            args.addAll(List.of("--probe-layers", probeLayers));
        }
        if (trainLimit != Long.MAX_VALUE) {
            args.addAll(List.of("--train-limit", Long.toString(trainLimit)));
        }
        if (testLimit != Long.MAX_VALUE) {
            args.addAll(List.of("--test-limit", Long.toString(testLimit)));
        }
        if (cacheFeatures) {
            args.add("--cache-features");
        }
        if (precision != Precision.FP32) {
            args.addAll(List.of("--dtype", precision.toString()));
        }
        return args;
    }

    private static String join(List<Double> values) {
        return values.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
