package ai.aim4j.model.naming;

import ai.aim4j.model.tensor.HostTensor;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The renaming between ml-aim's PyTorch state-dict names and its Flax parameter tree, following
 * ml-aim's {@code torch_weights_to_jax}: {@code .weight} becomes {@code kernel} (LayerNorm weights
 * {@code scale}), {@code blocks.i} becomes {@code layers_i}, linear kernels are transposed to
 * {@code (in, out)}, the patch conv to HWIO, and the probe's BatchNorm statistics live in the
 * {@code batch_stats} collection as {@code mean}/{@code var}. {@code num_batches_tracked} has no
 * Flax counterpart and is dropped (the inverse restores it as 0).
 */
public final class FlaxLayout {
    private static final Pattern TORCH_BLOCK = Pattern.compile("\\bblocks\\.(\\d+)\\.");
    private static final Pattern FLAX_LAYER = Pattern.compile("\\blayers_(\\d+)/");
    private static final String BN_TRACKED = "head.bn.num_batches_tracked";

    private FlaxLayout() {}

    /** PyTorch names and layouts to Flax paths and layouts. */
    public static SequencedMap<String, HostTensor> fromTorch(SequencedMap<String, HostTensor> torch) {
        SequencedMap<String, HostTensor> params = new LinkedHashMap<>();
        SequencedMap<String, HostTensor> stats = new LinkedHashMap<>();
        for (var e : torch.entrySet()) {
            String name = e.getKey();
            HostTensor t = e.getValue();
            if (name.equals(BN_TRACKED)) {
                continue;
            }
            if (name.endsWith(".running_mean") || name.endsWith(".running_var")) {
                String stat = name.endsWith("_mean") ? "mean" : "var";
                String module = name.substring(0, name.lastIndexOf(".running_"));
                stats.put("batch_stats/" + module.replace('.', '/') + "/" + stat, t);
                continue;
            }
            String path = TORCH_BLOCK.matcher(name).replaceAll("layers_$1.");
            if (path.endsWith(".weight")) {
                String module = path.substring(0, path.length() - ".weight".length());
                if (t.shape().length == 1) {
                    path = module + ".scale";
                } else {
                    path = module + ".kernel";
                    t = t.shape().length == 4 ? t.permute(2, 3, 1, 0) : t.permute(1, 0);
                }
            }
            params.put("params/" + path.replace('.', '/'), t);
        }
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>(params);
        out.putAll(stats);
        return out;
    }

    /** Flax paths and layouts back to PyTorch names and layouts. */
    public static SequencedMap<String, HostTensor> toTorch(SequencedMap<String, HostTensor> flax) {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        boolean hasBatchStats = false;
        for (var e : flax.entrySet()) {
            String path = e.getKey();
            HostTensor t = e.getValue();
            String[] parts = path.split("/", 2);
            if (parts.length != 2 || !(parts[0].equals("params") || parts[0].equals("batch_stats"))) {
                throw new IllegalArgumentException("Flax path " + path + " is outside the params and batch_stats collections");
            }
            Matcher m = FLAX_LAYER.matcher(parts[1]);
            String name = m.replaceAll("blocks.$1/").replace('/', '.');
            if (parts[0].equals("batch_stats")) {
                hasBatchStats = true;
                String module = name.substring(0, name.lastIndexOf('.'));
                String stat = name.substring(name.lastIndexOf('.') + 1);
                out.put(module + (stat.equals("mean") ? ".running_mean" : ".running_var"), t);
                continue;
            }
            if (name.endsWith(".scale")) {
                name = name.substring(0, name.length() - ".scale".length()) + ".weight";
            } else if (name.endsWith(".kernel")) {
                name = name.substring(0, name.length() - ".kernel".length()) + ".weight";
                t = t.shape().length == 4 ? t.permute(3, 2, 0, 1) : t.permute(1, 0);
            }
            out.put(name, t);
        }
        if (hasBatchStats) {
            out.put(BN_TRACKED, HostTensor.ofLongs(new long[0], new long[] {0}));
        }
        return out;
    }
}
