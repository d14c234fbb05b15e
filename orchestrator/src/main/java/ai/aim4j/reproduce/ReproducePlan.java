package ai.aim4j.reproduce;

import ai.aim4j.model.config.PretrainConfig;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Everything a reproduction does, decided before it starts and stored as {@code DIR/plan.json}, so
 * a re-run of the same command continues the same experiment and a different one is refused.
 *
 * <p>The budget decides the geometry ({@link #RATIONALE} says how, and the report repeats it). The
 * sizes differ in width only (same depth, patch, pixel head and recipe), as the paper's scaling
 * family does.
 *
 * @param dataset      {@code fmnist} or {@code synthetic}
 * @param quick        the short version (the demo)
 * @param image        image side in pixels (square)
 * @param channels     image channels
 * @param trainImages  images of the training part (the rest of the training split is the validation part)
 * @param valImages    images held out of the training split for the validation loss
 * @param testImages   images of the test split (0: the whole split)
 * @param widths       trunk widths, smallest first; heads = width / 32
 * @param depth        trunk blocks
 * @param patch        patch side in pixels
 * @param headWidth    pixel-head width
 * @param headBlocks   pixel-head blocks
 * @param steps        optimizer steps of every size
 * @param batch        images per step
 * @param lr           peak learning rate
 * @param checkpoints  checkpoints per run, evenly spaced; every one is validated and probed
 * @param valSamples   validation images scored at each checkpoint (fixed prefixes, fixed seed)
 * @param checkpointProbe the probe of every checkpoint (subsets)
 * @param finalProbe   the probe of the final checkpoints and the baselines (whole splits)
 * @param seed         seed of initialization, data order, prefixes and probes
 */
public record ReproducePlan(
        @JsonProperty("dataset") String dataset,
        @JsonProperty("quick") boolean quick,
        @JsonProperty("image") int image,
        @JsonProperty("channels") int channels,
        @JsonProperty("train_images") long trainImages,
        @JsonProperty("val_images") long valImages,
        @JsonProperty("test_images") long testImages,
        @JsonProperty("widths") List<Integer> widths,
        @JsonProperty("depth") int depth,
        @JsonProperty("patch") int patch,
        @JsonProperty("head_width") int headWidth,
        @JsonProperty("head_blocks") int headBlocks,
        @JsonProperty("steps") long steps,
        @JsonProperty("batch") int batch,
        @JsonProperty("lr") double lr,
        @JsonProperty("checkpoints") int checkpoints,
        @JsonProperty("val_samples") long valSamples,
        @JsonProperty("checkpoint_probe") Probe checkpointProbe,
        @JsonProperty("final_probe") Probe finalProbe,
        @JsonProperty("seed") long seed) {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Sizes of the synthetic stand-in's parts: training, validation, test. */
    public static final long SYNTHETIC_TRAIN = 10_800;
    public static final long SYNTHETIC_VAL = 1_200;
    public static final long SYNTHETIC_TEST = 2_000;

    /** Why the plan is what it is, for the report. */
    static final String RATIONALE = "on 28x28 images, 7x7 patches (16 tokens) cost a third of 4x4 patches (49 tokens) per step,"
            + " but a random trunk over 16 tokens is already a strong feature extractor (a random width-384 trunk probed at 85.2%,"
            + " above raw pixels at 84.5%), which leaves pre-training little to show; over 49 tokens a random trunk's pooled features"
            + " lose more of the image (a random width-192 trunk: 81.2%), so 4x4 patches it is, and the widths are chosen for the"
            + " budget: each doubling of"
            + " width costs about 3.5x per step and per probed image, and the largest size takes half of the pre-training time."
            + " Every size sees the same images (equal steps and batch), as in the paper's scaling study. The pixel head is"
            + " 128 wide with 2 blocks: the paper's 2048x12 head, or even a 256-wide one, costs more per token than the smaller"
            + " trunks (a 256-wide head doubled the step time of the 64-wide model). Checkpoint probes use subsets"
            + " (enough to rank checkpoints: a 4,000-image test part has a standard error of about 0.6 points), the final probes"
            + " and baselines the whole splits; with few probe epochs the larger learning rates of the grid win.";

    /** Width of one attention head in every size. */
    static final int HEAD_DIM = 32;

    /**
     * One probing protocol.
     *
     * @param trainLimit training images (before the held-out part is taken out); 0 means all
     * @param testLimit  test images; 0 means all
     * @param epochs     passes over the training images
     * @param lrs        the learning-rate grid, trained side by side and chosen on the held-out part
     */
    public record Probe(@JsonProperty("train_limit") long trainLimit, @JsonProperty("test_limit") long testLimit,
                        @JsonProperty("epochs") int epochs, @JsonProperty("lrs") List<Double> lrs) {
        public Probe {
            lrs = List.copyOf(lrs);
        }
    }

    public ReproducePlan {
        widths = List.copyOf(widths);
        if (widths.size() < 2) {
            throw new IllegalArgumentException("--sizes needs at least two widths to compare, got " + widths);
        }
        for (int i = 0; i < widths.size(); i++) {
            int w = widths.get(i);
            if (w < HEAD_DIM || w % HEAD_DIM != 0) {
                throw new IllegalArgumentException("--sizes: width " + w + " is not a positive multiple of " + HEAD_DIM
                        + " (the width of one attention head)");
            }
            if (i > 0 && w <= widths.get(i - 1)) {
                throw new IllegalArgumentException("--sizes must grow strictly, smallest first: " + widths);
            }
        }
        if (steps < checkpoints || checkpoints < 2) {
            throw new IllegalArgumentException("--steps " + steps + " leaves fewer than " + checkpoints + " checkpoints of one step or more");
        }
    }

    /** The 90-minute reproduction on Fashion-MNIST (or the synthetic stand-in). */
    public static ReproducePlan full(String dataset) {
        return new ReproducePlan(dataset, false, 28, channels(dataset), 55_000, 5_000, 0, List.of(64, 128, 192), 6, 4, 128, 2,
                800, 128, 1e-3, 4, 2_000,
                new Probe(8_000, 4_000, 4, List.of(1e-2, 3e-2)),
                new Probe(0, 0, 4, List.of(1e-2, 3e-2)), 0);
    }

    /** The few-minute version: smaller and shallower sizes, fewer steps, probe subsets; same recipe and report. */
    public static ReproducePlan quick(String dataset) {
        return new ReproducePlan(dataset, true, 28, channels(dataset), 55_000, 5_000, 0, List.of(32, 64, 128), 4, 4, 128, 1,
                400, 64, 2e-3, 3, 1_000,
                new Probe(3_000, 2_000, 4, List.of(1e-2, 3e-2)),
                new Probe(10_000, 4_000, 4, List.of(1e-2, 3e-2)), 0);
    }

    private static int channels(String dataset) {
        return switch (dataset) {
            case "fmnist" -> 1;
            case "synthetic" -> 3;
            default -> throw new IllegalArgumentException("unknown dataset '" + dataset + "': reproduce takes fmnist or synthetic");
        };
    }

    /** The same plan with other sizes and/or steps (null keeps the plan's). */
    public ReproducePlan with(List<Integer> newWidths, Long newSteps) {
        return new ReproducePlan(dataset, quick, image, channels, trainImages, valImages, testImages, newWidths != null ? newWidths : widths,
                depth, patch, headWidth, headBlocks, newSteps != null ? newSteps : steps, batch, lr, checkpoints, valSamples,
                checkpointProbe, finalProbe, seed);
    }

    /** The same plan on a smaller dataset (the synthetic stand-in has fewer images than Fashion-MNIST). */
    public ReproducePlan withImages(long train, long val, long test) {
        return new ReproducePlan(dataset, quick, image, channels, train, val, test, widths, depth, patch, headWidth, headBlocks, steps,
                batch, lr, checkpoints, valSamples, checkpointProbe, finalProbe, seed);
    }

    /** Name of the size of width {@code w}, used for its folders and in the report. */
    public static String sizeName(int w) {
        return "w" + w;
    }

    /** Steps between checkpoints (the last one is at the final step). */
    public long checkpointEvery() {
        return (steps + checkpoints - 1) / checkpoints;
    }

    /** The pre-training model of one width: trunk, pixel head, the blocks of its second half feeding the probe. */
    public PretrainConfig model(int width) {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", sizeName(width));
        n.putArray("img_size").add(image).add(image);
        n.putArray("patch_size").add(patch).add(patch);
        n.put("num_channels", channels);
        n.put("embed_dim", width);
        n.put("num_blocks", depth);
        n.put("num_heads", width / HEAD_DIM);
        n.put("mlp_ratio", 4);
        var layers = n.putArray("probe_layers");
        for (int b = depth / 2; b < depth; b++) {
            layers.add(b);
        }
        n.put("num_classes", 10);
        n.putObject("head").put("num_heads", width / HEAD_DIM);
        n.putObject("decoder").put("embed_dim", headWidth).put("num_layers", headBlocks);
        return PretrainConfig.fromJson(n, sizeName(width));
    }

    public ObjectNode toJson() {
        return JSON.valueToTree(this);
    }
}
