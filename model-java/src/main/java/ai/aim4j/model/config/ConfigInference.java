package ai.aim4j.model.config;

import ai.aim4j.model.tensor.HostTensor;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The geometry a checkpoint under ml-aim's names implies. Shapes tell the width, depth, patch,
 * channels, MLP ratio, biases, classes and queries; what they cannot tell (image size, head count,
 * LayerNorm eps, probe layers) comes from hints, else from ml-aim's conventions. The model built
 * from the result checks the checkpoint strictly, so a wrong guess is reported, never used.
 */
public final class ConfigInference {
    private static final Pattern BLOCK = Pattern.compile("^trunk\\.blocks\\.(\\d+)\\.");

    private ConfigInference() {}

    /**
     * @param hints the stored config of an aim4j-written file, or null: then a preset with the same
     *              width, depth and patch, else 224 px images, 128-wide heads, eps 1e-6, the last six
     *              blocks for the probe
     */
    public static AimConfig infer(Map<String, HostTensor> t, AimConfig hints) {
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
        int[] probe = base != null ? base.probeLayers() : AimConfig.lastBlocks(depth);
        return new AimConfig(preset != null ? preset.name() : "inferred",
                base != null ? base.imgSize() : new int[] {224, 224}, patch, channels, dim, depth, heads, ratio, bias,
                base != null ? base.layerNormEps() : 1e-6, probe,
                linear != null ? (int) linear.shape()[0] : base != null ? base.numClasses() : 1000,
                base != null ? base.headHeads() : heads,
                cls != null ? (int) cls.shape()[1] : 1,
                base != null ? base.batchNormEps() : 1e-6);
    }
}
