package ai.aim4j.model.naming;

import ai.aim4j.model.tensor.HostTensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The renaming between ml-l3m's training state dict and aim4j's internal (ml-aim) names: ml-l3m wraps
 * the preprocessor in a list ({@code preprocessor.blocks.0.*}), stores the position table as a frozen
 * parameter, and keeps q, k and v as separate projections, which map onto ml-aim's fused {@code qkv}
 * (rows q, then k, then v). The pixel head's {@code head.decoder_*} names are the same on both sides.
 */
public final class L3mLayout {
    private static final String L3M_PRE = "preprocessor.blocks.0.";
    private static final Pattern QKV_PART = Pattern.compile("^(trunk\\.blocks\\.\\d+\\.attn)\\.(q|k|v)_proj\\.(weight|bias)$");
    private static final Pattern QKV = Pattern.compile("^(trunk\\.blocks\\.\\d+\\.attn)\\.qkv\\.(weight|bias)$");

    private L3mLayout() {}

    /** Whether a state dict uses ml-l3m's names. */
    public static boolean isL3m(java.util.Map<String, ?> tensors) {
        return tensors.keySet().stream().anyMatch(k -> k.startsWith(L3M_PRE) || QKV_PART.matcher(k).matches());
    }

    /** ml-l3m names to internal names, fusing q/k/v. */
    public static SequencedMap<String, HostTensor> toInternal(SequencedMap<String, HostTensor> l3m) {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        SequencedMap<String, HostTensor[]> pending = new LinkedHashMap<>();
        for (var e : l3m.entrySet()) {
            String name = e.getKey();
            Matcher m = QKV_PART.matcher(name);
            if (m.matches()) {
                String fused = m.group(1) + ".qkv." + m.group(3);
                HostTensor[] parts = pending.computeIfAbsent(fused, k -> new HostTensor[3]);
                parts["qkv".indexOf(m.group(2))] = e.getValue();
                out.putIfAbsent(fused, null); // keep the first part's position in the order
                continue;
            }
            out.put(name.startsWith(L3M_PRE) ? "preprocessor." + name.substring(L3M_PRE.length()) : name, e.getValue());
        }
        for (var e : pending.entrySet()) {
            HostTensor[] parts = e.getValue();
            for (int i = 0; i < 3; i++) {
                if (parts[i] == null) {
                    throw new IllegalArgumentException(e.getKey().replace("qkv", "qkv".charAt(i) + "_proj") + " is missing (q, k and v come in threes)");
                }
            }
            out.put(e.getKey(), HostTensor.concat0(List.of(parts)));
        }
        return out;
    }

    /** Internal names to ml-l3m names, splitting {@code qkv} into q/k/v (views, no copy). */
    public static SequencedMap<String, HostTensor> fromInternal(SequencedMap<String, HostTensor> internal) {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        for (var e : internal.entrySet()) {
            String name = e.getKey();
            Matcher m = QKV.matcher(name);
            if (m.matches()) {
                HostTensor t = e.getValue();
                long d = t.shape()[0] / 3;
                for (int i = 0; i < 3; i++) {
                    out.put(m.group(1) + "." + "qkv".charAt(i) + "_proj." + m.group(2), t.slice0(i * d, (i + 1) * d));
                }
                continue;
            }
            out.put(name.startsWith("preprocessor.") ? L3M_PRE + name.substring("preprocessor.".length()) : name, e.getValue());
        }
        return out;
    }
}
