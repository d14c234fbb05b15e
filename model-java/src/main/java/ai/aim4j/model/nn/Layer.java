package ai.aim4j.model.nn;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * A node of the model tree, as {@code torch.nn.Module}: it declares its own parameters and
 * sub-layers by name in its constructor, and the dotted path of every parameter is its state-dict
 * name ({@code trunk.blocks.0.attn.qkv.weight}). Declaration order is the state dict's order.
 */
public abstract class Layer {
    /** Parameters and sub-layers by name, in declaration order (a {@link Parameter} or a {@link Layer} each). */
    private final SequencedMap<String, Object> members = new LinkedHashMap<>();

    /** Declares a persistent parameter of this layer. */
    protected final Parameter parameter(String name, Kind kind, Init init, long... shape) {
        return register(name, new Parameter(kind, init, shape, true, List.of()));
    }

    /** Declares a parameter described in full. */
    protected final Parameter register(String name, Parameter parameter) {
        declare(name, parameter);
        return parameter;
    }

    /** Declares a sub-layer; its parameters are named {@code name.*}. */
    protected final <L extends Layer> L layer(String name, L layer) {
        declare(name, layer);
        return layer;
    }

    private void declare(String name, Object member) {
        if (members.putIfAbsent(name, member) != null) {
            throw new IllegalStateException("'" + name + "' is declared twice");
        }
    }

    /** Every parameter of this layer and its sub-layers by dotted name, in declaration order. */
    public final SequencedMap<String, Parameter> namedParameters() {
        SequencedMap<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return Collections.unmodifiableSequencedMap(out);
    }

    private void collect(String prefix, SequencedMap<String, Parameter> out) {
        members.forEach((name, member) -> {
            if (member instanceof Layer layer) {
                layer.collect(prefix + name + ".", out);
            } else {
                out.put(prefix + name, (Parameter) member);
            }
        });
    }

    /** Elements of the persistent parameters (what a checkpoint of this tree holds). */
    public final long parameterCount() {
        return namedParameters().values().stream().filter(Parameter::persistent).mapToLong(Parameter::numel).sum();
    }
}
