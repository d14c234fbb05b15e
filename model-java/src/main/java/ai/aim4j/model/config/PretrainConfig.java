package ai.aim4j.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The pre-training model: a trunk and the MLP pixel head of ml-l3m's {@code SimpleDecoder}. JSON is
 * the trunk's ({@link AimConfig}) plus a {@code decoder} object ({@code embed_dim}, {@code num_layers},
 * {@code mlp_ratio}, {@code layer_norm_eps}), as the pre-training fixtures' {@code config.json}.
 * The paper's head is 2048 wide and 12 blocks deep; the ml-l3m recipe's LayerNorm eps is 1e-5.
 *
 * @param trunk        the trunk
 * @param headWidth    decoder width E
 * @param headBlocks   decoder blocks L
 * @param headMlpRatio hidden width of the decoder MLP as a multiple of E
 * @param headEps      LayerNorm eps of the decoder
 */
public record PretrainConfig(AimConfig trunk, int headWidth, int headBlocks, int headMlpRatio, double headEps) {
    public PretrainConfig {
        if (headWidth <= 0 || headWidth % 4 != 0 || headBlocks < 0 || headMlpRatio <= 0) {
            throw new IllegalArgumentException("invalid pixel head: width " + headWidth + " (a positive multiple of 4), "
                    + headBlocks + " blocks, MLP ratio " + headMlpRatio);
        }
    }

    /** Values each prediction holds: one patch, {@code C * ph * pw}. */
    public int patchValues() {
        return trunk.patchValues();
    }

    /** A preset trunk with the paper's head (2048 wide, 12 blocks) and the recipe's LayerNorm eps 1e-5. */
    public static PretrainConfig preset(String name) {
        return new PretrainConfig(AimConfig.preset(name).withLayerNormEps(1e-5), 2048, 12, 4, 1e-5);
    }

    /** Without a {@code decoder} object the paper's head is used. Trunk LayerNorm eps defaults to 1e-5 here. */
    public static PretrainConfig fromJson(JsonNode n, String defaultName) {
        ObjectNode trunkJson = n.deepCopy();
        if (!trunkJson.has("layer_norm_eps")) {
            trunkJson.put("layer_norm_eps", 1e-5);
        }
        AimConfig trunk = AimConfig.fromJson(trunkJson, defaultName);
        JsonNode d = n.path("decoder");
        return new PretrainConfig(trunk, d.path("embed_dim").asInt(2048), d.path("num_layers").asInt(12), d.path("mlp_ratio").asInt(4),
                d.path("layer_norm_eps").asDouble(trunk.layerNormEps()));
    }

    public ObjectNode toJson() {
        ObjectNode n = trunk.toJson();
        ObjectNode d = n.putObject("decoder");
        d.put("embed_dim", headWidth);
        d.put("num_layers", headBlocks);
        d.put("mlp_ratio", headMlpRatio);
        d.put("layer_norm_eps", headEps);
        return n;
    }
}
