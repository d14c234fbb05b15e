package ai.aim4j.reproduce;

import ai.aim4j.files.AtomicFiles;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The finished steps of a reproduction, one JSON file each in {@code DIR/results}: a step whose file
 * exists is done and is not run again, which is what makes an interrupted reproduction resumable.
 * Files are written atomically, so a step killed half-way leaves no file and simply runs again.
 * Every result carries the {@code aim4j} command line that produces it alone, its seconds, and the
 * environment and git revision it ran with ({@link Provenance}).
 */
final class Results {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private final Path dir;

    /** One part of the data: its folder and images. */
    record DataPart(@JsonProperty("dir") String dir, @JsonProperty("images") long images, @JsonProperty("command") String command) {}

    /**
     * The data step: training, validation and test parts, and the nested subsets of the training
     * part that the data-scaling runs pre-train on (smallest first; the whole part is not repeated).
     */
    record Data(@JsonProperty("train") DataPart train, @JsonProperty("val") DataPart val, @JsonProperty("test") DataPart test,
                @JsonProperty("subsets") List<DataPart> subsets, @JsonProperty("seconds") double seconds,
                @JsonProperty("ran_with") Provenance ranWith) {}

    /** One checkpoint of a pre-training run. */
    record Checkpoint(@JsonProperty("step") long step, @JsonProperty("val_loss") double valLoss, @JsonProperty("weights") String weights,
                      @JsonProperty("sha256") String sha256) {}

    /** The pre-training of one size with one seed on {@code images} training images. */
    record Run(@JsonProperty("width") int width, @JsonProperty("name") String name, @JsonProperty("seed") long seed,
               @JsonProperty("images") long images, @JsonProperty("params") long params, @JsonProperty("run") String run,
               @JsonProperty("seconds") double seconds, @JsonProperty("checkpoints") List<Checkpoint> checkpoints,
               @JsonProperty("command") String command, @JsonProperty("ran_with") Provenance ranWith) {
        /** The last checkpoint, the one the final probe uses. */
        Checkpoint last() {
            return checkpoints.getLast();
        }
    }

    /**
     * One probe: what was probed (the fields that apply: the size, the checkpoint step, trunk
     * parameters, its validation loss), with which seed, and the chosen grid point's numbers.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Probe(@JsonProperty("width") Integer width, @JsonProperty("step") Long step, @JsonProperty("seed") long seed,
                 @JsonProperty("params") Long params, @JsonProperty("val_loss") Double valLoss, @JsonProperty("test_top1") double testTop1,
                 @JsonProperty("held_out_top1") double heldOutTop1, @JsonProperty("lr") double lr,
                 @JsonProperty("train_images") long trainImages, @JsonProperty("test_images") long testImages,
                 @JsonProperty("seconds") double seconds, @JsonProperty("command") String command,
                 @JsonProperty("ran_with") Provenance ranWith) {}

    /** Work that produces one result. */
    interface Work<T> {
        T run() throws IOException;
    }

    Results(Path reproduction) {
        this.dir = reproduction.resolve("results");
    }

    /** The stored result of {@code name}, or the result of running {@code work} (then stored). */
    <T> T once(String name, Class<T> type, Work<T> work) throws IOException {
        Path file = dir.resolve(name + ".json");
        if (Files.exists(file)) {
            try {
                return JSON.readValue(file.toFile(), type);
            } catch (IOException e) {
                throw new IOException(file + ": unreadable result (" + e.getMessage() + "); delete it to run that step again", e);
            }
        }
        T r = work.run();
        Files.createDirectories(dir);
        AtomicFiles.writeString(file, JSON.writeValueAsString(r) + "\n");
        return r;
    }
}
