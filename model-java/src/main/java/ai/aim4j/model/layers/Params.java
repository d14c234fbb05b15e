package ai.aim4j.model.layers;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * The parameters of a model by state-dict name, as the layers look them up: {@code at("trunk.blocks.0")}
 * gives a view whose {@code get("attn.qkv.weight")} is {@code trunk.blocks.0.attn.qkv.weight}.
 */
public record Params(Map<String, NDArray> all, String prefix) {

    public static Params of(Map<String, NDArray> all) {
        return new Params(all, "");
    }

    public Params at(String child) {
        return new Params(all, name(child));
    }

    public String name(String child) {
        return prefix.isEmpty() ? child : prefix + "." + child;
    }

    public NDArray get(String child) {
        NDArray a = all.get(name(child));
        if (a == null) {
            throw new IllegalStateException("missing parameter " + name(child));
        }
        return a;
    }

    /** The parameter if present (optional biases), else null. */
    public NDArray optional(String child) {
        return all.get(name(child));
    }
}
