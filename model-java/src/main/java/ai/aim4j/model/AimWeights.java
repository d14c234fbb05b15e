package ai.aim4j.model;

import ai.aim4j.model.tensor.HostTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The state-dict contract of an ml-aim model: every key with its shape, the strict check of a
 * checkpoint against it (missing, unexpected and mis-shaped keys listed together), and the reverse
 * direction, inferring a config from a checkpoint's shapes.
 */
public final class AimWeights {
    /** Keys a checkpoint may omit: PyTorch's BatchNorm counter has no use in eval mode or in Flax. */
    public static final String BN_TRACKED = "head.bn.num_batches_tracked";
    private static final Pattern BLOCK = Pattern.compile("^trunk\\.blocks\\.(\\d+)\\.");
    /** ml-aim's PrefixCausalAttention registers its (1, N, N) mask as a persistent buffer. */
    private static final Pattern ATTN_MASK = Pattern.compile("^trunk\\.blocks\\.\\d+\\.attn\\.attn_mask$");

    /** Which parts of the model a checkpoint holds. */
    public enum Parts {
        /** {@code preprocessor.*} and {@code trunk.*}, as in ml-aim's released {@code *_backbone.pth}. */
        TRUNK,
        /** Trunk and the attention-pooling head. */
        TRUNK_AND_HEAD
    }

    private AimWeights() {}

    /** Every key of the model in ml-aim's order, with its shape. */
    public static SequencedMap<String, long[]> shapes(AimConfig c, Parts parts) {
        SequencedMap<String, long[]> s = new LinkedHashMap<>();
        long d = c.dim();
        long m = c.mlpHidden();
        s.put("preprocessor.patchifier.proj.weight", new long[] {d, c.channels(), c.patchSize()[0], c.patchSize()[1]});
        s.put("preprocessor.patchifier.proj.bias", new long[] {d});
        s.put("preprocessor.patchifier.norm.weight", new long[] {d});
        s.put("preprocessor.patchifier.norm.bias", new long[] {d});
        for (int i = 0; i < c.blocks(); i++) {
            String b = "trunk.blocks." + i + ".";
            linear(s, b + "attn.qkv", 3 * d, d, c.useBias());
            linear(s, b + "attn.proj", d, d, c.useBias());
            s.put(b + "norm_1.weight", new long[] {d});
            s.put(b + "norm_1.bias", new long[] {d});
            linear(s, b + "mlp.fc1", m, d, c.useBias());
            linear(s, b + "mlp.fc2", d, m, c.useBias());
            s.put(b + "norm_2.weight", new long[] {d});
            s.put(b + "norm_2.bias", new long[] {d});
        }
        s.put("trunk.post_trunk_norm.weight", new long[] {d});
        s.put("trunk.post_trunk_norm.bias", new long[] {d});
        if (parts == Parts.TRUNK_AND_HEAD) {
            s.put("head.cls_token", new long[] {1, c.headQueries(), d});
            s.put("head.k.weight", new long[] {d, d});
            s.put("head.v.weight", new long[] {d, d});
            s.put("head.linear.weight", new long[] {c.numClasses(), d});
            s.put("head.bn.running_mean", new long[] {d});
            s.put("head.bn.running_var", new long[] {d});
            s.put(BN_TRACKED, new long[] {});
        }
        return s;
    }

    private static void linear(SequencedMap<String, long[]> s, String name, long out, long in, boolean bias) {
        s.put(name + ".weight", new long[] {out, in});
        if (bias) {
            s.put(name + ".bias", new long[] {out});
        }
    }

    /**
     * Buffers a checkpoint may carry that the model derives itself: the BatchNorm counter and the
     * prefix-causal attention masks of ml-aim's prefix-causal trunk. Accepted, never required, not loaded.
     */
    public static boolean isDerivedBuffer(String key) {
        return key.equals(BN_TRACKED) || ATTN_MASK.matcher(key).matches();
    }

    /**
     * Keys of a pre-training checkpoint that the inference model does not use: the pixel head
     * ({@code head.decoder_*}) and the stored position table (inference computes the same table).
     */
    public static boolean isPretrainingOnly(String key) {
        return key.startsWith("head.decoder_") || key.equals("preprocessor.pos_embed");
    }

    /** Whether a checkpoint carries the probe head (any {@code head.*} key). */
    public static Parts partsOf(Map<String, HostTensor> tensors) {
        return tensors.keySet().stream().anyMatch(k -> k.startsWith("head.") && !isPretrainingOnly(k)) ? Parts.TRUNK_AND_HEAD : Parts.TRUNK;
    }

    /**
     * Checks a checkpoint against the config, throwing one error that lists every missing,
     * unexpected and mis-shaped key (and non-floating weights).
     *
     * @param allowUnexpected accept (and ignore) keys the model does not have; missing and mis-shaped
     *                        keys are errors either way
     */
    public static void check(AimConfig c, Parts parts, Map<String, HostTensor> tensors, String source, boolean allowUnexpected) {
        SequencedMap<String, long[]> want = shapes(c, parts);
        List<String> problems = new ArrayList<>();
        List<String> missing = want.keySet().stream().filter(k -> !tensors.containsKey(k) && !isDerivedBuffer(k)).toList();
        List<String> unexpected = tensors.keySet().stream()
                .filter(k -> !want.containsKey(k) && !isDerivedBuffer(k) && !isPretrainingOnly(k)).toList();
        if (!missing.isEmpty()) {
            problems.add("missing keys (" + missing.size() + "): " + abbreviate(missing));
        }
        if (!unexpected.isEmpty() && !allowUnexpected) {
            problems.add("unexpected keys (" + unexpected.size() + "): " + abbreviate(unexpected));
        }
        for (var e : want.entrySet()) {
            HostTensor t = tensors.get(e.getKey());
            if (t == null) {
                continue;
            }
            if (!Arrays.equals(t.shape(), e.getValue())) {
                problems.add("shape mismatch for " + e.getKey() + ": checkpoint " + Arrays.toString(t.shape())
                        + ", model " + Arrays.toString(e.getValue()));
            } else if (!isDerivedBuffer(e.getKey()) && !t.dtype().isFloatingPoint()) {
                problems.add(e.getKey() + " has integer type " + t.dtype() + " where a floating-point weight is expected");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(source + " does not match the model " + c.name() + ":\n  - " + String.join("\n  - ", problems));
        }
    }

    private static String abbreviate(List<String> keys) {
        int show = 12;
        String head = String.join(", ", keys.subList(0, Math.min(show, keys.size())));
        return keys.size() > show ? head + ", ... (" + (keys.size() - show) + " more)" : head;
    }

    /**
     * Infers the geometry from a checkpoint's shapes. What shapes cannot tell (the image size, the
     * head count, LayerNorm eps, probe layers) comes from {@code hints}, else from ml-aim's
     * conventions: 224 px images, 64-wide heads, eps 1e-6, the preset's probe layers or the last six
     * blocks.
     */
    public static AimConfig inferConfig(Map<String, HostTensor> t, AimConfig hints) {
        HostTensor conv = t.get("preprocessor.patchifier.proj.weight");
        if (conv == null || conv.shape().length != 4) {
            throw new IllegalArgumentException("cannot infer a config: no 4-D preprocessor.patchifier.proj.weight (not an ml-aim checkpoint?)");
        }
        int dim = (int) conv.shape()[0];
        int channels = (int) conv.shape()[1];
        int[] patch = {(int) conv.shape()[2], (int) conv.shape()[3]};
        TreeSet<Integer> blocks = new TreeSet<>();
        for (String k : t.keySet()) {
            Matcher m = BLOCK.matcher(k);
            if (m.find()) {
                blocks.add(Integer.parseInt(m.group(1)));
            }
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("cannot infer a config: no trunk.blocks.* keys");
        }
        int depth = blocks.last() + 1;
        HostTensor fc1 = t.get("trunk.blocks.0.mlp.fc1.weight");
        int ratio = fc1 == null ? 4 : (int) (fc1.shape()[0] / dim);
        boolean bias = t.containsKey("trunk.blocks.0.attn.qkv.bias");
        HostTensor linear = t.get("head.linear.weight");
        HostTensor cls = t.get("head.cls_token");
        AimConfig preset = AimConfig.presetNames().stream().map(AimConfig::preset)
                .filter(p -> p.dim() == dim && p.blocks() == depth && p.channels() == channels
                        && Arrays.equals(p.patchSize(), patch)).findFirst().orElse(null);
        AimConfig base = hints != null ? hints : preset;
        // ml-aim's presets all use 128-wide heads.
        int heads = base != null ? base.heads() : dim % 128 == 0 ? dim / 128 : dim % 64 == 0 ? dim / 64 : 1;
        int[] probe = base != null ? base.probeLayers() : lastBlocks(depth);
        return new AimConfig(preset != null ? preset.name() : "inferred",
                base != null ? base.imgSize() : new int[] {224, 224}, patch, channels, dim, depth, heads, ratio, bias,
                base != null ? base.layerNormEps() : 1e-6, probe,
                linear != null ? (int) linear.shape()[0] : base != null ? base.numClasses() : 1000,
                base != null ? base.headHeads() : heads,
                cls != null ? (int) cls.shape()[1] : 1,
                base != null ? base.batchNormEps() : 1e-6);
    }

    private static int[] lastBlocks(int depth) {
        int n = Math.min(6, depth);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = depth - n + i;
        }
        return out;
    }

    /** Parameter count (floating-point elements; buffers such as BatchNorm statistics included). */
    public static long parameterCount(Map<String, HostTensor> t) {
        return t.values().stream().filter(x -> x.dtype().isFloatingPoint()).mapToLong(HostTensor::numel).sum();
    }
}
