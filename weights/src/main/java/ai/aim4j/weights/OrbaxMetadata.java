package ai.aim4j.weights;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * An orbax PyTree checkpoint's {@code _METADATA}: the tree's leaves, each a path of keys, and the
 * layout flags. orbax rebuilds the tree from each leaf's {@code key_metadata}; the leaf's array lives
 * in the folder named by its keys joined with dots.
 *
 * @param paths the leaves' key paths in file order
 */
record OrbaxMetadata(List<List<String>> paths, OrbaxLayout layout) {
    /** The metadata file's name in the checkpoint folder. */
    static final String FILE = "_METADATA";
    /** A checkpoint of aim-7B declares some 600 leaves in about 300 KB; anything near this is not a model. */
    private static final long MAX_BYTES = 64L << 20;
    /** The leaf types whose values are arrays in a zarr store (orbax stores Python scalars as 0-d arrays). */
    private static final Set<String> ARRAY_TYPES = Set.of("np.ndarray", "jax.Array", "scalar");
    /** orbax's {@code KeyType.DICT}: the key of a dict entry (sequence entries, type 1, are keyed by index). */
    private static final int DICT_KEY = 2;
    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** Reads {@code dir/_METADATA}, naming the file in every error. */
    static OrbaxMetadata read(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        JsonNode root = readJson(file, MAX_BYTES);
        JsonNode tree = root.path("tree_metadata");
        if (!tree.isObject()) {
            throw new CheckpointFormatException(file, "has no tree_metadata object (not an orbax PyTree checkpoint)");
        }
        List<List<String>> paths = new ArrayList<>();
        for (Map.Entry<String, JsonNode> leaf : tree.properties()) {
            JsonNode keys = leaf.getValue().path("key_metadata");
            if (!keys.isArray() || keys.isEmpty()) {
                throw new CheckpointFormatException(file, "leaf " + leaf.getKey() + " has no key_metadata list");
            }
            List<String> path = new ArrayList<>();
            for (JsonNode k : keys) {
                JsonNode key = k.path("key");
                if (!key.isTextual() && !key.isIntegralNumber()) {
                    throw new CheckpointFormatException(file, "leaf " + leaf.getKey() + " has key " + key + ", neither a string nor an index");
                }
                path.add(key.asText());
            }
            String type = leaf.getValue().path("value_metadata").path("value_type").asText();
            if (!ARRAY_TYPES.contains(type)) {
                throw new CheckpointFormatException(file, "leaf " + String.join("/", path) + " holds a value of type '" + type
                        + "', not an array (" + ARRAY_TYPES.stream().sorted().collect(Collectors.joining(", ")) + ")");
            }
            paths.add(List.copyOf(path));
        }
        OrbaxLayout layout = root.path("use_ocdbt").asBoolean(false) ? OrbaxLayout.OCDBT
                : root.path("use_zarr3").asBoolean(false) ? OrbaxLayout.ZARR3 : OrbaxLayout.ZARR2;
        return new OrbaxMetadata(paths, layout);
    }

    /** A JSON file of at most {@code maxBytes}, parsed with duplicate keys refused. */
    static JsonNode readJson(Path file, long maxBytes) throws IOException {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointFormatException(file, "is missing");
        }
        if (size > maxBytes) {
            throw new CheckpointFormatException(file, "has " + size + " bytes, more than the " + maxBytes + " a checkpoint's metadata can need");
        }
        try {
            JsonNode root = JSON.readTree(Files.readAllBytes(file));
            if (root == null || !root.isObject()) {
                throw new CheckpointFormatException(file, "is not a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new CheckpointFormatException(file, "is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * The {@code _METADATA} orbax writes for a tree of NumPy arrays in the plain zarr v2 layout, which
     * it restores with {@code PyTreeCheckpointer().restore(dir)} on any machine (no device sharding is
     * recorded). Leaves are keyed by the Python {@code repr} of their key tuple, as orbax keys them.
     */
    static byte[] plainJson(List<List<String>> paths) throws JsonProcessingException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode tree = root.putObject("tree_metadata");
        for (List<String> path : paths) {
            ObjectNode leaf = tree.putObject(pythonTupleRepr(path));
            ArrayNode keys = leaf.putArray("key_metadata");
            path.forEach(k -> keys.addObject().put("key", k).put("key_type", DICT_KEY));
            leaf.putObject("value_metadata").put("value_type", "np.ndarray").put("skip_deserialize", false);
        }
        root.put("use_ocdbt", false);
        root.put("use_zarr3", false);
        root.put("store_array_data_equal_to_fill_value", true);
        root.putNull("custom_metadata");
        return JSON.writeValueAsBytes(root);
    }

    /** {@code ('a', 'b')}, {@code ('a',)}: keys the writer has checked to need no quoting. */
    private static String pythonTupleRepr(List<String> keys) {
        String inner = keys.stream().map(k -> "'" + k + "'").collect(Collectors.joining(", "));
        return "(" + inner + (keys.size() == 1 ? ",)" : ")");
    }
}
