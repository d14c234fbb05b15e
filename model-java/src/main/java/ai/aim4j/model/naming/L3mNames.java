package ai.aim4j.model.naming;

import ai.aim4j.model.nn.Layer;
import ai.aim4j.model.nn.Parameter;
import ai.aim4j.model.tensor.HostTensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ml-l3m's training state dict against aim4j's internal (ml-aim) names. Two rules, as data:
 * ml-l3m wraps the preprocessor in a list ({@code preprocessor.blocks.0.*}), and it keeps each
 * projection that the model stacks into one tensor (a parameter declared with stacked parts, the
 * fused {@code qkv}) as separate {@code {part}_proj} tensors, rows in part order. The pixel head's
 * {@code head.decoder_*} names are the same on both sides.
 */
public final class L3mNames {
    private static final String INTERNAL_PRE = "preprocessor.";
    private static final String L3M_PRE = "preprocessor.blocks.0.";
    /** Stacked layers by internal name, with ml-l3m's names of their parts in row order. */
    private static final Map<String, List<String>> STACKED = Map.of("qkv", List.of("q_proj", "k_proj", "v_proj"));
    private static final Pattern PART = Pattern.compile("^(.+)\\.(\\w+_proj)\\.(weight|bias)$");

    private L3mNames() {}

    /** Whether a state dict uses ml-l3m's names. */
    public static boolean isL3m(Map<String, ?> tensors) {
        return tensors.keySet().stream().anyMatch(k -> k.startsWith(L3M_PRE) || partOf(k) != null);
    }

    /** Internal names of {@code tree} to ml-l3m's, stacked tensors split into row views (no copy). */
    public static SequencedMap<String, HostTensor> toL3m(Layer tree, SequencedMap<String, HostTensor> internal) {
        var declared = tree.namedParameters();
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        internal.forEach((name, t) -> {
            Parameter p = declared.get(name);
            if (p == null) {
                throw new IllegalArgumentException(name + " is not a tensor of the model");
            }
            String l3m = name.startsWith(INTERNAL_PRE) ? L3M_PRE + name.substring(INTERNAL_PRE.length()) : name;
            if (p.stackedParts().isEmpty()) {
                out.put(l3m, t);
                return;
            }
            int leafDot = l3m.lastIndexOf('.');
            int layerDot = l3m.lastIndexOf('.', leafDot - 1);
            List<String> parts = STACKED.get(l3m.substring(layerDot + 1, leafDot));
            if (parts == null || parts.size() != p.stackedParts().size()) {
                throw new IllegalStateException(name + " stacks " + p.stackedParts() + ", which ml-l3m's names do not describe");
            }
            long rows = t.shape()[0] / parts.size();
            for (int i = 0; i < parts.size(); i++) {
                out.put(l3m.substring(0, layerDot + 1) + parts.get(i) + l3m.substring(leafDot), t.slice0(i * rows, (i + 1) * rows));
            }
        });
        return out;
    }

    /** ml-l3m names to internal names, the parts of each stacked tensor concatenated in row order. */
    public static SequencedMap<String, HostTensor> fromL3m(SequencedMap<String, HostTensor> l3m) {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        Map<String, HostTensor[]> pending = new LinkedHashMap<>();
        for (var e : l3m.entrySet()) {
            String name = e.getKey();
            String internal = name.startsWith(L3M_PRE) ? INTERNAL_PRE + name.substring(L3M_PRE.length()) : name;
            Matcher m = PART.matcher(internal);
            String stacked = partOf(internal);
            if (stacked == null) {
                out.put(internal, e.getValue());
                continue;
            }
            m.matches();
            String fused = m.group(1) + "." + stacked + "." + m.group(3);
            List<String> parts = STACKED.get(stacked);
            pending.computeIfAbsent(fused, k -> new HostTensor[parts.size()])[parts.indexOf(m.group(2))] = e.getValue();
            out.putIfAbsent(fused, null); // the first part's position in the order
        }
        pending.forEach((fused, parts) -> {
            for (int i = 0; i < parts.length; i++) {
                if (parts[i] == null) {
                    String layer = fused.substring(fused.lastIndexOf('.', fused.lastIndexOf('.') - 1) + 1, fused.lastIndexOf('.'));
                    throw new IllegalArgumentException(fused.replace("." + layer + ".", "." + STACKED.get(layer).get(i) + ".")
                            + " is missing (the parts of " + layer + " come together)");
                }
            }
            out.put(fused, HostTensor.concat0(List.of(parts)));
        });
        return out;
    }

    /** The stacked layer a name is a part of ({@code qkv} for {@code ...attn.k_proj.weight}), or null. */
    private static String partOf(String name) {
        Matcher m = PART.matcher(name);
        if (!m.matches()) {
            return null;
        }
        return STACKED.entrySet().stream().filter(s -> s.getValue().contains(m.group(2))).map(Map.Entry::getKey).findFirst().orElse(null);
    }
}
