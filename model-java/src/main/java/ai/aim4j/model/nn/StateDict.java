package ai.aim4j.model.nn;

import ai.aim4j.model.tensor.TensorSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** The strict check of a checkpoint against a model tree: every problem found, reported together. */
public final class StateDict {
    private static final int SHOWN_KEYS = 12;

    private StateDict() {}

    /**
     * Throws one {@link IllegalArgumentException} listing every missing, unexpected and mis-shaped key
     * of {@code tensors} against the tree's declarations, and weights of an integer type.
     *
     * @param source   what the tensors came from, for the message
     * @param accepted keys the model accepts without using them (never reported as unexpected)
     */
    public static void check(Layer tree, Map<String, ? extends TensorSource> tensors, String source, String model,
                             Predicate<String> accepted) {
        var declared = tree.namedParameters();
        List<String> problems = new ArrayList<>();
        List<String> missing = declared.entrySet().stream()
                .filter(e -> e.getValue().persistent() && !e.getValue().kind().optional() && !tensors.containsKey(e.getKey()))
                .map(Map.Entry::getKey).toList();
        List<String> unexpected = tensors.keySet().stream().filter(k -> !declared.containsKey(k) && !accepted.test(k)).toList();
        if (!missing.isEmpty()) {
            problems.add("missing keys (" + missing.size() + "): " + abbreviate(missing));
        }
        if (!unexpected.isEmpty()) {
            problems.add("unexpected keys (" + unexpected.size() + "): " + abbreviate(unexpected));
        }
        declared.forEach((name, p) -> {
            TensorSource t = tensors.get(name);
            if (t == null || !p.persistent()) {
                return;
            }
            if (!Arrays.equals(t.shape(), p.shape())) {
                problems.add("shape mismatch for " + name + ": checkpoint " + Arrays.toString(t.shape()) + ", model "
                        + Arrays.toString(p.shape()));
            } else if (p.kind() != Kind.BATCH_COUNT && !t.dtype().isFloatingPoint()) {
                problems.add(name + " has integer type " + t.dtype() + " where a floating-point weight is expected");
            }
        });
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(source + " does not match the model " + model + ":\n  - " + String.join("\n  - ", problems));
        }
    }

    private static String abbreviate(List<String> keys) {
        String head = String.join(", ", keys.subList(0, Math.min(SHOWN_KEYS, keys.size())));
        return keys.size() > SHOWN_KEYS ? head + ", ... (" + (keys.size() - SHOWN_KEYS) + " more)" : head;
    }
}
