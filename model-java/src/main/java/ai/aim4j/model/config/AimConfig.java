package ai.aim4j.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The geometry of an AIM v1 model: image and patch size, channels, width, depth, heads, MLP ratio,
 * biases, LayerNorm eps, the probe head and which blocks feed it. JSON keys are ml-aim's names
 * ({@code img_size}, {@code patch_size}, {@code embed_dim}, ...), so the {@code config.json} of a
 * parity fixture is a valid config.
 *
 * @param name          a label for reports
 * @param imgSize       image (height, width)
 * @param patchSize     patch (height, width)
 * @param channels      input channels
 * @param dim           trunk width D
 * @param blocks        number of transformer blocks
 * @param heads         attention heads in the trunk
 * @param mlpRatio      hidden width of the MLP as a multiple of D
 * @param useBias       bias in qkv, proj, fc1 and fc2 (false in ml-aim)
 * @param layerNormEps  1e-6 in ml-aim inference, 1e-5 in the ml-l3m training recipe
 * @param probeLayers   blocks whose outputs are averaged into the probe's input
 * @param numClasses    classes of the probe head
 * @param headHeads     attention heads of the attention-pooling head
 * @param headQueries   learned queries of the attention-pooling head
 * @param batchNormEps  eps of the head's BatchNorm (1e-6 in ml-aim)
 */
public record AimConfig(String name, int[] imgSize, int[] patchSize, int channels, int dim, int blocks, int heads,
                        int mlpRatio, boolean useBias, double layerNormEps, int[] probeLayers, int numClasses,
                        int headHeads, int headQueries, double batchNormEps) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_SIDE = 1 << 15;
    private static final int MAX_WIDTH = 1 << 16;
    private static final int MAX_BLOCKS = 1 << 12;
    private static final int MAX_CLASSES = 1 << 24;

    /** The released presets, keyed by name; each uses the 'best' probe layers of ml-aim. */
    private static final Map<String, Function<String, AimConfig>> PRESETS = new LinkedHashMap<>();

    static {
        PRESETS.put("aim-600M", n -> preset(n, 1536, 24, 12, new int[] {14, 15, 16, 17, 18, 19}));
        PRESETS.put("aim-1B", n -> preset(n, 2048, 24, 16, new int[] {12, 13, 14, 15, 16, 17}));
        PRESETS.put("aim-3B", n -> preset(n, 3072, 24, 24, new int[] {12, 13, 14, 15, 16, 17}));
        PRESETS.put("aim-7B", n -> preset(n, 4096, 32, 32, new int[] {14, 15, 16, 17, 18, 19}));
    }

    public AimConfig {
        require(imgSize.length == 2 && patchSize.length == 2, "img_size and patch_size need two values (height, width)");
        require(imgSize[0] > 0 && imgSize[1] > 0, "img_size must be positive, got " + Arrays.toString(imgSize));
        require(patchSize[0] > 0 && patchSize[1] > 0, "patch_size must be positive");
        // Far beyond any AIM (the largest is 4096 wide, 32 blocks, 256 tokens): sizes past these overflow the arithmetic of shapes.
        require(imgSize[0] <= MAX_SIDE && imgSize[1] <= MAX_SIDE && dim <= MAX_WIDTH && blocks <= MAX_BLOCKS && mlpRatio <= MAX_WIDTH
                && numClasses <= MAX_CLASSES, "a size is beyond this implementation's bounds (img_size " + MAX_SIDE + ", embed_dim and"
                + " mlp_ratio " + MAX_WIDTH + ", num_blocks " + MAX_BLOCKS + ", num_classes " + MAX_CLASSES + ")");
        require(layerNormEps > 0 && layerNormEps < 1 && batchNormEps > 0 && batchNormEps < 1,
                "layer_norm_eps and batch_norm_eps must lie in (0, 1), got " + layerNormEps + " and " + batchNormEps);
        require(imgSize[0] % patchSize[0] == 0 && imgSize[1] % patchSize[1] == 0,
                "img_size " + Arrays.toString(imgSize) + " is not a multiple of patch_size " + Arrays.toString(patchSize));
        require(channels > 0 && blocks > 0 && mlpRatio > 0 && numClasses > 0 && headQueries > 0, "sizes must be positive");
        require(heads > 0 && dim % heads == 0, "embed_dim " + dim + " is not divisible by num_heads " + heads);
        require(headHeads > 0 && dim % headHeads == 0, "embed_dim " + dim + " is not divisible by the head's num_heads " + headHeads);
        require(dim % 4 == 0, "embed_dim " + dim + " must be a multiple of 4 for the 2-D sin-cos position table");
        require(probeLayers.length > 0, "probe_layers is empty");
        for (int b : probeLayers) {
            require(b >= 0 && b < blocks, "probe layer " + b + " is outside the " + blocks + " blocks");
        }
        imgSize = imgSize.clone();
        patchSize = patchSize.clone();
        probeLayers = probeLayers.clone();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("invalid AIM config: " + message);
        }
    }

    private static AimConfig preset(String name, int dim, int blocks, int heads, int[] best) {
        return new AimConfig(name, new int[] {224, 224}, new int[] {14, 14}, 3, dim, blocks, heads, 4, false, 1e-6,
                best, 1000, heads, 1, 1e-6);
    }

    /** The preset names, in size order. */
    public static List<String> presetNames() {
        return List.copyOf(PRESETS.keySet());
    }

    /** A preset by name ({@code aim-600M}, {@code aim-1B}, {@code aim-3B}, {@code aim-7B}). */
    public static AimConfig preset(String name) {
        Function<String, AimConfig> p = PRESETS.get(name);
        if (p == null) {
            throw new IllegalArgumentException("unknown preset '" + name + "'; known: " + String.join(", ", PRESETS.keySet()));
        }
        return p.apply(name);
    }

    public int gridH() {
        return imgSize[0] / patchSize[0];
    }

    public int gridW() {
        return imgSize[1] / patchSize[1];
    }

    /** Tokens per image, N. */
    public int numPatches() {
        return gridH() * gridW();
    }

    public int mlpHidden() {
        return dim * mlpRatio;
    }

    /** Values per patch, C * ph * pw. */
    public int patchValues() {
        return channels * patchSize[0] * patchSize[1];
    }

    /** The same model with another probe-layer selection. */
    public AimConfig withProbeLayers(int[] layers) {
        return new AimConfig(name, imgSize, patchSize, channels, dim, blocks, heads, mlpRatio, useBias, layerNormEps,
                layers, numClasses, headHeads, headQueries, batchNormEps);
    }

    /** The same model with another number of classes. */
    public AimConfig withNumClasses(int classes) {
        return new AimConfig(name, imgSize, patchSize, channels, dim, blocks, heads, mlpRatio, useBias, layerNormEps,
                probeLayers, classes, headHeads, headQueries, batchNormEps);
    }

    /**
     * Resolves a probe-layer choice: {@code last} (the last six blocks, fewer for shallow models),
     * {@code best} (ml-aim's per-preset choice, which is this config's default), or a comma list.
     */
    public int[] resolveProbeLayers(String spec) {
        return switch (spec.strip()) {
            case "best" -> probeLayers.clone();
            case "last" -> lastBlocks(blocks);
            default -> {
                try {
                    yield Arrays.stream(spec.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("probe layers '" + spec + "': expected last, best or a comma list of block indices");
                }
            }
        };
    }

    /**
     * A ViT geometry with ml-aim's defaults for the rest: MLP ratio 4, no biases, LayerNorm eps 1e-6,
     * the last block feeding a one-query probe with as many heads as the trunk, 1000 classes.
     */
    public static AimConfig vit(String name, int imgSize, int patchSize, int channels, int dim, int blocks, int heads) {
        return new AimConfig(name, new int[] {imgSize, imgSize}, new int[] {patchSize, patchSize}, channels, dim, blocks, heads, 4, false,
                1e-6, new int[] {blocks - 1}, 1000, heads, 1, 1e-6);
    }

    /** The same model with another LayerNorm eps (the ml-l3m training recipe uses 1e-5). */
    public AimConfig withLayerNormEps(double eps) {
        return new AimConfig(name, imgSize, patchSize, channels, dim, blocks, heads, mlpRatio, useBias, eps, probeLayers, numClasses,
                headHeads, headQueries, batchNormEps);
    }

    /** The last six blocks (all of them in a shallower model): ml-aim's default probe input. */
    static int[] lastBlocks(int depth) {
        int n = Math.min(6, depth);
        int[] layers = new int[n];
        for (int i = 0; i < n; i++) {
            layers[i] = depth - n + i;
        }
        return layers;
    }

    /** Builds a config from a JSON tree (or from a map converted to one, e.g. a Python config). */
    public static AimConfig fromJson(JsonNode n, String defaultName) {
        AimConfig base = n.has("preset") ? preset(n.get("preset").asText()) : null;
        int dim = intOr(n, "embed_dim", base == null ? -1 : base.dim);
        int blocks = intOr(n, "num_blocks", base == null ? -1 : base.blocks);
        int heads = intOr(n, "num_heads", base == null ? -1 : base.heads);
        if (dim <= 0 || blocks <= 0 || heads <= 0) {
            throw new IllegalArgumentException("config needs embed_dim, num_blocks and num_heads (or a preset)");
        }
        JsonNode head = n.path("head");
        int[] probe = n.has("probe_layers") ? ints(n.get("probe_layers"))
                : base != null ? base.probeLayers : new int[] {blocks - 1};
        return new AimConfig(
                n.path("name").asText(base != null ? base.name : defaultName),
                pair(n.get("img_size"), base == null ? new int[] {224, 224} : base.imgSize),
                pair(n.get("patch_size"), base == null ? new int[] {14, 14} : base.patchSize),
                intOr(n, "num_channels", 3), dim, blocks, heads,
                intOr(n, "mlp_ratio", 4),
                n.path("use_bias").asBoolean(false),
                n.path("layer_norm_eps").asDouble(1e-6),
                probe,
                intOr(n, "num_classes", 1000),
                head.path("num_heads").asInt(heads),
                head.path("num_queries").asInt(1),
                n.path("batch_norm_eps").asDouble(1e-6));
    }

    private static int intOr(JsonNode n, String key, int fallback) {
        return n.has(key) ? n.get(key).asInt() : fallback;
    }

    private static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asInt();
        }
        return out;
    }

    private static int[] pair(JsonNode v, int[] fallback) {
        if (v == null) {
            return fallback;
        }
        if (v.isInt()) {
            return new int[] {v.asInt(), v.asInt()};
        }
        int[] p = ints(v);
        if (p.length != 2) {
            throw new IllegalArgumentException("expected an int or a pair, got " + v);
        }
        return p;
    }

    /** The config as JSON with ml-aim's key names (readable by {@link #fromJson(JsonNode, String)}). */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("name", name);
        n.set("img_size", array(imgSize));
        n.set("patch_size", array(patchSize));
        n.put("num_channels", channels);
        n.put("embed_dim", dim);
        n.put("num_blocks", blocks);
        n.put("num_heads", heads);
        n.put("mlp_ratio", mlpRatio);
        n.put("use_bias", useBias);
        n.put("layer_norm_eps", layerNormEps);
        n.set("probe_layers", array(probeLayers));
        n.put("num_classes", numClasses);
        n.put("batch_norm_eps", batchNormEps);
        ObjectNode head = n.putObject("head");
        head.put("num_heads", headHeads);
        head.put("num_queries", headQueries);
        return n;
    }

    private static ArrayNode array(int[] values) {
        ArrayNode a = JSON.createArrayNode();
        for (int v : values) {
            a.add(v);
        }
        return a;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AimConfig c && toJson().equals(c.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return toJson().toString();
    }
}
