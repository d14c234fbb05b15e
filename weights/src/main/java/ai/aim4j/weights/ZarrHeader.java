package ai.aim4j.weights;

import ai.aim4j.model.tensor.DType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * A zarr v2 array's {@code .zarray}, as orbax writes it through tensorstore: C order, no filters, a
 * regular chunk grid, each chunk one zstd frame (or raw bytes when there is no compressor).
 *
 * @param separator the character joining chunk indices in chunk file names ({@code .} or {@code /})
 * @param zstd      whether chunks are zstd frames (else raw C-order bytes)
 */
record ZarrHeader(DType dtype, long[] shape, long[] chunks, boolean zstd, char separator) {
    /** The file name of a zarr v2 array's header inside its folder. */
    static final String FILE = ".zarray";
    /** The zstd level orbax writes with. */
    static final int ZSTD_LEVEL = 1;
    /** tensorstore's spelling of bfloat16, which has no NumPy descriptor. */
    private static final String BFLOAT16 = "bfloat16";

    /** The header of {@code file} (named in errors), refusing anything orbax's plain layout does not write. */
    static ZarrHeader parse(Path file, JsonNode root) throws CheckpointFormatException {
        if (!root.isObject()) {
            throw new CheckpointFormatException(file, "is not a JSON object");
        }
        if (root.path("zarr_format").asInt() != 2) {
            throw new CheckpointFormatException(file, "zarr_format " + root.path("zarr_format") + " is not 2");
        }
        String dtypeName = root.path("dtype").asText();
        DType dtype = dtypeOf(dtypeName).orElseThrow(() -> new CheckpointFormatException(file,
                "dtype " + root.path("dtype") + " is not supported (little-endian numeric types and bfloat16 only)"));
        long[] shape = naturals(file, "shape", root.path("shape"), 0);
        long[] chunks = naturals(file, "chunks", root.path("chunks"), 1);
        if (chunks.length != shape.length) {
            throw new CheckpointFormatException(file, "chunks " + Arrays.toString(chunks) + " do not have the rank of shape " + Arrays.toString(shape));
        }
        if (!root.path("order").asText("C").equals("C")) {
            throw new CheckpointFormatException(file, "order " + root.path("order") + " is not supported (C order only)");
        }
        if (!root.path("filters").isNull() && !root.path("filters").isMissingNode()) {
            throw new CheckpointFormatException(file, "filters " + root.path("filters") + " are not supported");
        }
        JsonNode compressor = root.path("compressor");
        boolean zstd = compressor.path("id").asText().equals("zstd");
        if (!zstd && !compressor.isNull()) {
            throw new CheckpointFormatException(file, "compressor " + compressor + " is not supported (zstd or none)");
        }
        String separator = root.path("dimension_separator").asText(".");
        if (!separator.equals(".") && !separator.equals("/")) {
            throw new CheckpointFormatException(file, "dimension_separator " + root.path("dimension_separator") + " is neither '.' nor '/'");
        }
        return new ZarrHeader(dtype, shape, chunks, zstd, separator.charAt(0));
    }

    /** The header's JSON, with the keys and values tensorstore writes for orbax. */
    ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        ArrayNode c = o.putArray("chunks");
        Arrays.stream(chunks).forEach(c::add);
        if (zstd) {
            o.putObject("compressor").put("id", "zstd").put("level", ZSTD_LEVEL);
        } else {
            o.putNull("compressor");
        }
        o.put("dimension_separator", String.valueOf(separator));
        o.put("dtype", dtype == DType.BF16 ? BFLOAT16 : dtype.numpyDescr());
        o.putNull("fill_value");
        o.putNull("filters");
        o.put("order", "C");
        ArrayNode s = o.putArray("shape");
        Arrays.stream(shape).forEach(s::add);
        o.put("zarr_format", 2);
        return o;
    }

    private static Optional<DType> dtypeOf(String name) {
        return name.equals(BFLOAT16) ? Optional.of(DType.BF16) : DType.fromNumpyDescr(name);
    }

    private static long[] naturals(Path file, String what, JsonNode node, long min) throws CheckpointFormatException {
        if (!node.isArray()) {
            throw new CheckpointFormatException(file, what + " is " + node + ", not a list of integers");
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode d = node.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < min) {
                throw new CheckpointFormatException(file, what + " " + node + " holds " + d + ", not an integer >= " + min);
            }
            out[i] = d.asLong();
        }
        return out;
    }
}
