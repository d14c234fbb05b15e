package ai.aim4j.arrow;

import ai.aim4j.files.AtomicFiles;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code manifest.json} of a sharded dataset: what it is, how it was made, and every shard with its
 * row count, byte size and SHA-256. It is written last and atomically, so a folder without one was
 * never completed and is not read.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(
        @JsonProperty("format_version") int formatVersion,
        @JsonProperty("split") String split,
        @JsonProperty("source") String source,
        @JsonProperty("encoding") String encoding,
        @JsonProperty("image_shape") int[] imageShape,
        @JsonProperty("class_names") List<String> classNames,
        @JsonProperty("rows") long rows,
        @JsonProperty("shards") List<Shard> shards,
        @JsonProperty("created_by") Map<String, Object> createdBy) {

    public static final String FILE = "manifest.json";

    /** One shard file. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Shard(@JsonProperty("file") String file, @JsonProperty("rows") long rows, @JsonProperty("bytes") long bytes,
                        @JsonProperty("sha256") String sha256, @JsonProperty("first_id") long firstId) {}

    public void write(Path dir) throws IOException {
        AtomicFiles.writeString(dir.resolve(FILE), Json.MAPPER.writeValueAsString(this) + "\n");
    }

    public static Manifest read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        Manifest m;
        try {
            m = Json.MAPPER.readValue(Files.readString(f), Manifest.class);
        } catch (NoSuchFileException e) {
            throw new IOException(dir + ": no " + FILE + " (not a sharded dataset, or an interrupted 'shard' run)", e);
        } catch (JacksonException e) {
            throw new IOException(f + ": unreadable manifest: " + e.getOriginalMessage(), e);
        } catch (CharacterCodingException e) {
            throw new IOException(f + ": unreadable manifest: not UTF-8 text", e);
        }
        if (m.shards() == null || m.shards().isEmpty()) {
            throw new IOException(f + ": the manifest lists no shards");
        }
        if (m.shards().stream().mapToLong(Shard::rows).sum() != m.rows()) {
            throw new IOException(f + ": shard row counts do not add up to " + m.rows());
        }
        return m;
    }
}
