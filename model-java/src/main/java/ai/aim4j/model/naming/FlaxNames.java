package ai.aim4j.model.naming;

import ai.aim4j.model.nn.Kind;
import ai.aim4j.model.nn.Layer;
import ai.aim4j.model.nn.Parameter;
import ai.aim4j.model.tensor.HostTensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.regex.Pattern;

/**
 * ml-aim's Flax parameter tree, as its {@code torch_weights_to_jax} lays it out: one rule per
 * {@link Kind} of tensor (the table below, names and transposes side by side), and {@code blocks.i}
 * becoming {@code layers_i}. The probe's BatchNorm statistics live in the {@code batch_stats}
 * collection; the batch counter has no Flax counterpart and is dropped (reading restores it as 0).
 * Writing follows the model tree's declarations; reading inverts the same table by name.
 */
public final class FlaxNames {
    /**
     * One kind's two forms.
     *
     * @param torchLeaf  the PyTorch leaf name; null where both keep the declared name
     * @param collection {@code params} or {@code batch_stats}
     * @param flaxLeaf   the Flax leaf name; null where both keep the declared name
     * @param toFlax     the axis permutation from the PyTorch layout, or null when the layouts agree
     */
    private record Rule(Kind kind, String torchLeaf, String collection, String flaxLeaf, int[] toFlax) {
        boolean reads(String inCollection, String leaf, int rank) {
            return collection.equals(inCollection) && (flaxLeaf == null || flaxLeaf.equals(leaf))
                    && (toFlax == null || toFlax.length == rank);
        }
    }

    private static final String PARAMS = "params";
    private static final String BATCH_STATS = "batch_stats";
    /** Checked in order when reading: named leaves first, then the ones that keep their names. */
    private static final List<Rule> RULES = List.of(
            new Rule(Kind.LINEAR_WEIGHT, "weight", PARAMS, "kernel", new int[] {1, 0}),       // (out, in) -> (in, out)
            new Rule(Kind.CONV_WEIGHT, "weight", PARAMS, "kernel", new int[] {2, 3, 1, 0}),   // (out, C, kh, kw) -> HWIO
            new Rule(Kind.NORM_SCALE, "weight", PARAMS, "scale", null),
            new Rule(Kind.BIAS, "bias", PARAMS, "bias", null),
            new Rule(Kind.NORM_SHIFT, "bias", PARAMS, "bias", null),
            new Rule(Kind.RUNNING_MEAN, "running_mean", BATCH_STATS, "mean", null),
            new Rule(Kind.RUNNING_VAR, "running_var", BATCH_STATS, "var", null),
            new Rule(Kind.QUERY, null, PARAMS, null, null),
            new Rule(Kind.POSITION_TABLE, null, PARAMS, null, null));
    private static final Pattern TORCH_BLOCK = Pattern.compile("\\bblocks\\.(\\d+)\\.");
    private static final Pattern FLAX_LAYER = Pattern.compile("\\blayers_(\\d+)/");
    private static final String BATCH_COUNT_LEAF = "num_batches_tracked";

    private FlaxNames() {}

    /** PyTorch-named tensors of {@code tree} to Flax paths and layouts ({@code params} first, then {@code batch_stats}). */
    public static SequencedMap<String, HostTensor> toFlax(Layer tree, SequencedMap<String, HostTensor> torch) {
        var declared = tree.namedParameters();
        SequencedMap<String, HostTensor> params = new LinkedHashMap<>();
        SequencedMap<String, HostTensor> stats = new LinkedHashMap<>();
        torch.forEach((name, t) -> {
            Parameter p = declared.get(name);
            if (p == null) {
                throw new IllegalArgumentException(name + " is not a tensor of the model");
            }
            if (p.kind() == Kind.BATCH_COUNT) {
                return;
            }
            Rule rule = RULES.stream().filter(r -> r.kind() == p.kind()).findFirst().orElseThrow();
            int dot = name.lastIndexOf('.');
            String module = TORCH_BLOCK.matcher(name.substring(0, dot + 1)).replaceAll("layers_$1.").replace('.', '/');
            String leaf = rule.flaxLeaf() != null ? rule.flaxLeaf() : name.substring(dot + 1);
            HostTensor value = rule.toFlax() == null ? t : t.permute(rule.toFlax());
            (rule.collection().equals(PARAMS) ? params : stats).put(rule.collection() + "/" + module + leaf, value);
        });
        params.putAll(stats);
        return params;
    }

    /** Flax paths and layouts back to PyTorch names and layouts. */
    public static SequencedMap<String, HostTensor> fromFlax(SequencedMap<String, HostTensor> flax) {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        String statsModule = null;
        for (var e : flax.entrySet()) {
            String path = e.getKey();
            HostTensor t = e.getValue();
            int first = path.indexOf('/');
            int last = path.lastIndexOf('/');
            String collection = first < 0 ? path : path.substring(0, first);
            if (first < 0 || !(collection.equals(PARAMS) || collection.equals(BATCH_STATS))) {
                throw new IllegalArgumentException("Flax path " + path + " is outside the params and batch_stats collections");
            }
            String module = FLAX_LAYER.matcher(path.substring(first + 1, last + 1)).replaceAll("blocks.$1/").replace('/', '.');
            String leaf = path.substring(last + 1);
            Rule rule = ruleFor(collection, leaf, t.shape().length).orElseThrow(() ->
                    new IllegalArgumentException("Flax path " + path + " is no tensor of ml-aim's layout"));
            out.put(module + (rule.torchLeaf() != null ? rule.torchLeaf() : leaf),
                    rule.toFlax() == null ? t : t.permute(inverse(rule.toFlax())));
            if (collection.equals(BATCH_STATS)) {
                statsModule = module;
            }
        }
        if (statsModule != null) {
            out.put(statsModule + BATCH_COUNT_LEAF, HostTensor.ofLongs(new long[0], new long[] {0}));
        }
        return out;
    }

    private static Optional<Rule> ruleFor(String collection, String leaf, int rank) {
        return RULES.stream().filter(r -> r.reads(collection, leaf, rank)).findFirst();
    }

    private static int[] inverse(int[] permutation) {
        int[] inv = new int[permutation.length];
        for (int i = 0; i < permutation.length; i++) {
            inv[permutation[i]] = i;
        }
        return inv;
    }
}
