package ai.aim4j.arrow;

import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.files.Sha256;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A dataset as a set of memory-mapped shards with one global row index: aim4j's sharded folders
 * (with {@code manifest.json}), Hugging Face {@code save_to_disk} folders ({@code state.json}) and
 * cache folders ({@code dataset_info.json} and {@code *.arrow}), or one Arrow file. Images come out
 * as slices of the mapped files: nothing is copied until a batch is assembled.
 */
public final class ShardSet implements AutoCloseable {
    private final Path location;
    private final BufferAllocator allocator;
    private final List<MappedShard> shards;
    private final long[] shardStart;
    private final DatasetInfo info;
    private final Encoding encoding;
    private final int[] rawShape;
    private final Manifest manifest;

    private ShardSet(Path location, BufferAllocator allocator, List<MappedShard> shards, DatasetInfo info, Encoding encoding,
                     int[] rawShape, Manifest manifest) {
        this.location = location;
        this.allocator = allocator;
        this.shards = shards;
        this.info = info;
        this.encoding = encoding;
        this.rawShape = rawShape;
        this.manifest = manifest;
        this.shardStart = new long[shards.size() + 1];
        for (int i = 0; i < shards.size(); i++) {
            shardStart[i + 1] = shardStart[i] + shards.get(i).rows();
        }
    }

    /** Opens a dataset folder or file; structural damage and mismatches with the manifest are errors naming the file. */
    public static ShardSet open(Path location) throws IOException {
        BufferAllocator allocator = new RootAllocator();
        List<MappedShard> opened = new ArrayList<>();
        try {
            Manifest manifest = null;
            List<Path> files;
            List<String> hfClasses = null;
            if (Files.isRegularFile(location)) {
                files = List.of(location);
            } else if (Files.isRegularFile(location.resolve(Manifest.FILE))) {
                manifest = Manifest.read(location);
                files = new ArrayList<>();
                for (Manifest.Shard s : manifest.shards()) {
                    Path f = location.resolve(s.file());
                    if (!Files.isRegularFile(f)) {
                        throw new IOException(f + ": shard listed in the manifest is missing");
                    }
                    if (Files.size(f) != s.bytes()) {
                        throw new IOException(f + ": " + Files.size(f) + " bytes, the manifest says " + s.bytes() + " (truncated or replaced)");
                    }
                    files.add(f);
                }
            } else if (Files.isRegularFile(location.resolve("state.json"))) {
                JsonNode state = Json.MAPPER.readTree(location.resolve("state.json").toFile());
                files = new ArrayList<>();
                for (JsonNode f : state.path("_data_files")) {
                    files.add(location.resolve(f.path("filename").asText()));
                }
                hfClasses = hfClassNames(location);
            } else if (Files.isDirectory(location)) {
                try (Stream<Path> s = Files.list(location)) {
                    files = s.filter(p -> p.toString().endsWith(".arrow")).sorted().toList();
                }
                hfClasses = hfClassNames(location);
            } else {
                throw new IOException(location + ": no such dataset file or folder");
            }
            if (files.isEmpty()) {
                throw new IOException(location + ": no Arrow files");
            }
            for (Path f : files) {
                opened.add(MappedShard.open(f, allocator));
            }
            Schema schema = opened.getFirst().schema();
            for (MappedShard s : opened) {
                if (!sameColumns(schema, s.schema())) {
                    throw new IOException(s.file() + ": its schema differs from " + opened.getFirst().file() + "'s");
                }
            }
            if (manifest != null) {
                for (int i = 0; i < opened.size(); i++) {
                    if (opened.get(i).rows() != manifest.shards().get(i).rows()) {
                        throw new IOException(opened.get(i).file() + ": " + opened.get(i).rows() + " rows, the manifest says "
                                + manifest.shards().get(i).rows());
                    }
                }
            }
            schema.findField(ShardSchema.LABEL);
            boolean features = schema.getFields().stream().anyMatch(f -> f.getName().equals(ShardSchema.FEATURES));
            Field image = schema.findField(features ? ShardSchema.FEATURES : ShardSchema.IMAGE);
            Encoding encoding;
            int[] shape = null;
            if (features) {
                encoding = Encoding.FEATURES;
                shape = ShardSchema.rawShape(image);
                if (shape == null || shape.length != 2) {
                    throw new IOException(opened.getFirst().file() + ": features column without its aim4j.shape (T,D) metadata");
                }
            } else if (image.getType() instanceof ArrowType.FixedSizeBinary) {
                encoding = Encoding.RAW;
                shape = ShardSchema.rawShape(image);
                if (shape == null) {
                    throw new IOException(opened.getFirst().file() + ": raw image column without its aim4j.shape metadata");
                }
            } else if (image.getType() instanceof ArrowType.Struct && image.getChildren().stream().anyMatch(c -> c.getName().equals(ShardSchema.IMAGE_BYTES))) {
                String e = schema.getCustomMetadata() == null ? null : schema.getCustomMetadata().get(ShardSchema.META_ENCODING);
                encoding = e == null ? Encoding.ORIGINAL : Encoding.valueOf(e.toUpperCase(Locale.ROOT));
            } else {
                throw new IOException(opened.getFirst().file() + ": image column of type " + image.getType()
                        + " (expected fixed-size binary or struct<bytes, path>)");
            }
            DatasetInfo info = info(schema, manifest, hfClasses, location);
            return new ShardSet(location, allocator, opened, info, encoding, shape, manifest);
        } catch (IOException | RuntimeException e) {
            opened.forEach(MappedShard::close);
            allocator.close();
            if (e instanceof IllegalArgumentException iae && iae.getMessage() != null && iae.getMessage().contains("No field named")) {
                throw new IOException(location + ": missing column (" + iae.getMessage() + "); expected image and label", e);
            }
            throw e;
        }
    }

    private static boolean sameColumns(Schema a, Schema b) {
        return a.getFields().stream().map(f -> f.getName() + ":" + f.getType()).toList()
                .equals(b.getFields().stream().map(f -> f.getName() + ":" + f.getType()).toList());
    }

    private static List<String> hfClassNames(Path dir) throws IOException {
        Path infoFile = dir.resolve("dataset_info.json");
        if (!Files.isRegularFile(infoFile)) {
            return null;
        }
        JsonNode names = Json.MAPPER.readTree(infoFile.toFile()).path("features").path("label").path("names");
        List<String> out = new ArrayList<>();
        names.forEach(n -> out.add(n.asText()));
        return out.isEmpty() ? null : out;
    }

    private static DatasetInfo info(Schema schema, Manifest manifest, List<String> hfClasses, Path location) throws IOException {
        if (manifest != null) {
            return new DatasetInfo(manifest.classNames(), manifest.split(), manifest.source());
        }
        var meta = schema.getCustomMetadata();
        if (meta != null && meta.containsKey(ShardSchema.META_CLASSES)) {
            List<String> names = new ArrayList<>();
            Json.MAPPER.readTree(meta.get(ShardSchema.META_CLASSES)).forEach(n -> names.add(n.asText()));
            return new DatasetInfo(names, meta.getOrDefault(ShardSchema.META_SPLIT, ""), meta.getOrDefault(ShardSchema.META_SOURCE, location.toString()));
        }
        return new DatasetInfo(hfClasses == null ? List.of() : hfClasses, "", "arrow:" + location);
    }

    public Path location() {
        return location;
    }

    public DatasetInfo info() {
        return info;
    }

    public Encoding encoding() {
        return encoding;
    }

    /** {@code (H, W, C)} of raw images, {@code (T, D)} of features; null for encoded images. */
    public int[] rawShape() {
        return rawShape == null ? null : rawShape.clone();
    }

    /** The manifest, or null for foreign Arrow data. */
    public Manifest manifest() {
        return manifest;
    }

    public long size() {
        return shardStart[shards.size()];
    }

    public List<MappedShard> shards() {
        return shards;
    }

    /** Where row {@code i} lives: its record batch and the row within it. */
    Row row(long i) {
        if (i < 0 || i >= size()) {
            throw new IndexOutOfBoundsException("row " + i + " of " + size());
        }
        int lo = 0;
        int hi = shards.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (shardStart[mid] <= i) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        MappedShard s = shards.get(lo);
        long[] at = s.locate(i - shardStart[lo]);
        return new Row(i, s, s.batches().get((int) at[0]), (int) at[1]);
    }

    /** A located row: read its columns without locating it again. */
    record Row(long global, MappedShard shard, VectorSchemaRoot batch, int index) {
        long id() {
            FieldVector v = batch.getVector(ShardSchema.ID);
            return v == null ? global : ((BaseIntVector) v).getValueAsLong(index);
        }

        int label() {
            return (int) ((BaseIntVector) batch.getVector(ShardSchema.LABEL)).getValueAsLong(index);
        }
    }

    /** The stable id of row {@code i} (its global index when the data has no id column). */
    public long id(long i) {
        return row(i).id();
    }

    public int label(long i) {
        return row(i).label();
    }

    /** The raw HWC pixels of row {@code i}, a slice of the mapped file (no copy). */
    public MemorySegment rawImage(long i) {
        return rawImage(row(i));
    }

    /** The float32 {@code (T, D)} features of row {@code i} of a feature set, a slice of the mapped file. */
    public MemorySegment features(long i) {
        return fixedWidth(row(i), ShardSchema.FEATURES);
    }

    static MemorySegment rawImage(Row r) {
        return fixedWidth(r, ShardSchema.IMAGE);
    }

    private static MemorySegment fixedWidth(Row r, String column) {
        FixedSizeBinaryVector v = (FixedSizeBinaryVector) r.batch().getVector(column);
        int width = v.getByteWidth();
        long offset = v.getDataBuffer().memoryAddress() - r.shard().mapped().address() + (long) r.index() * width;
        return r.shard().mapped().asSlice(offset, width);
    }

    /** The encoded bytes of row {@code i}, a slice of the mapped file (no copy); empty if null. */
    public MemorySegment encodedImage(long i) {
        return encodedImage(row(i));
    }

    static MemorySegment encodedImage(Row r) {
        StructVector image = (StructVector) r.batch().getVector(ShardSchema.IMAGE);
        VarBinaryVector bytes = (VarBinaryVector) image.getChild(ShardSchema.IMAGE_BYTES);
        if (bytes.isNull(r.index())) {
            return MemorySegment.ofArray(new byte[0]);
        }
        long start = bytes.getStartOffset(r.index());
        long end = bytes.getEndOffset(r.index());
        long offset = bytes.getDataBuffer().memoryAddress() - r.shard().mapped().address() + start;
        return r.shard().mapped().asSlice(offset, end - start);
    }

    /**
     * Checks every shard against the manifest: SHA-256, size, rows and schema. Returns the problems
     * found (empty when the dataset is intact); a dataset that does not even open throws.
     */
    public static List<String> verify(Path dir) throws IOException {
        Manifest m = Manifest.read(dir);
        List<String> problems = new ArrayList<>();
        for (Manifest.Shard s : m.shards()) {
            Path f = dir.resolve(s.file());
            if (!Files.isRegularFile(f)) {
                problems.add(f + ": missing");
                continue;
            }
            String got = Sha256.of(f);
            if (!got.equals(s.sha256())) {
                problems.add(f + ": SHA-256 " + got + " differs from the manifest's " + s.sha256() + " (corrupted)");
            }
        }
        if (problems.isEmpty()) {
            try (ShardSet set = open(dir)) {
                if (set.size() != m.rows()) {
                    problems.add(dir + ": " + set.size() + " rows, the manifest says " + m.rows());
                }
            } catch (IOException e) {
                problems.add(e.getMessage());
            }
        }
        return problems;
    }

    @Override
    public void close() {
        shards.forEach(MappedShard::close);
        allocator.close();
    }
}
