package ai.aim4j.arrow;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * The columns of an aim4j shard (documented in arrow-io/README.md): {@code id} int64, {@code label}
 * int32, and {@code image} either raw pixels (fixed-size binary of H*W*C uint8 in HWC order, the shape
 * in the field's metadata) or encoded bytes in Hugging Face's {@code struct<bytes: binary, path:
 * string>} convention. Schema metadata carries the class names, split and source.
 */
public final class ShardSchema {
    public static final String ID = "id";
    public static final String LABEL = "label";
    public static final String IMAGE = "image";
    public static final String IMAGE_BYTES = "bytes";
    public static final String IMAGE_PATH = "path";
    /** The column of a feature shard: float32 {@code (T, D)} per row, C order, as fixed-size binary. */
    public static final String FEATURES = "features";
    /** Field metadata of a raw image column: {@code "H,W,C"}. */
    public static final String META_SHAPE = "aim4j.shape";
    public static final String META_VERSION = "aim4j.format_version";
    public static final String META_CLASSES = "aim4j.class_names";
    public static final String META_SPLIT = "aim4j.split";
    public static final String META_SOURCE = "aim4j.source";
    public static final String META_ENCODING = "aim4j.encoding";
    public static final String VERSION = "1";

    private ShardSchema() {}

    /** How the image column stores pixels. */
    public enum Encoding {
        /** Fixed-size uint8 HWC pixels. */
        RAW,
        /** PNG bytes in {@code struct<bytes, path>}. */
        PNG,
        /** The source files' own bytes (JPEG, PNG, ...) in {@code struct<bytes, path>}. */
        ORIGINAL,
        /** Not images: float32 feature matrices of a model, in a {@code features} column. */
        FEATURES
    }

    /** The schema of a feature shard: {@code (tokens, dim)} float32 per row (field metadata {@code aim4j.shape = "T,D"}). */
    public static Schema features(int tokens, int dim, DatasetInfo info) {
        Field f = new Field(FEATURES, new FieldType(false, new ArrowType.FixedSizeBinary(tokens * dim * 4), null,
                Map.of(META_SHAPE, tokens + "," + dim, "aim4j.dtype", "float32")), null);
        return new Schema(List.of(idField(), labelField(), f), metadata(info, Encoding.FEATURES));
    }

    /** The schema of a raw-pixel shard. */
    public static Schema raw(int height, int width, int channels, DatasetInfo info) {
        Field image = new Field(IMAGE, new FieldType(false, new ArrowType.FixedSizeBinary(height * width * channels), null,
                Map.of(META_SHAPE, height + "," + width + "," + channels)), null);
        return new Schema(List.of(idField(), labelField(), image), metadata(info, Encoding.RAW));
    }

    /** The schema of an encoded-image shard (Hugging Face's image struct). */
    public static Schema encoded(Encoding encoding, DatasetInfo info) {
        Field bytes = new Field(IMAGE_BYTES, FieldType.nullable(ArrowType.Binary.INSTANCE), null);
        Field path = new Field(IMAGE_PATH, FieldType.nullable(ArrowType.Utf8.INSTANCE), null);
        Field image = new Field(IMAGE, FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(bytes, path));
        return new Schema(List.of(idField(), labelField(), image), metadata(info, encoding));
    }

    private static Field idField() {
        return new Field(ID, FieldType.notNullable(new ArrowType.Int(64, true)), null);
    }

    private static Field labelField() {
        return new Field(LABEL, FieldType.notNullable(new ArrowType.Int(32, true)), null);
    }

    private static Map<String, String> metadata(DatasetInfo info, Encoding encoding) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(META_VERSION, VERSION);
        m.put(META_CLASSES, Json.write(info.classNames()));
        m.put(META_SPLIT, info.split());
        m.put(META_SOURCE, info.source());
        m.put(META_ENCODING, encoding.name().toLowerCase(Locale.ROOT));
        return m;
    }

    /** The {@code (H, W, C)} of a raw image field, from its metadata or its byte width. */
    public static int[] rawShape(Field image) {
        String s = image.getMetadata() == null ? null : image.getMetadata().get(META_SHAPE);
        if (s == null) {
            return null;
        }
        return Arrays.stream(s.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
    }
}
