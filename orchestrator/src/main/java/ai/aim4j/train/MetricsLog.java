package ai.aim4j.train;

import ai.aim4j.files.AtomicFiles;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/** {@code metrics.jsonl}: one JSON object per step, appended and flushed as each step ends. */
public final class MetricsLog {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;

    /**
     * One step's line.
     *
     * @param step         steps done, this one included
     * @param loss         the step's training loss
     * @param lr           its learning rate
     * @param gradNorm     the global gradient norm before clipping
     * @param clipCoef     the clipping coefficient applied
     * @param imagesPerS   images per second of the step
     * @param tokensPerS   tokens per second of the step
     * @param skippedSteps steps skipped so far for non-finite values
     * @param epoch        the epoch the sampler is in
     * @param rssMb        resident memory of the process
     * @param liveNdarrays NDArrays alive in the process (a leak check)
     * @param valLoss      the validation loss when the step validated, else null
     * @param elapsedS     the run's seconds so far, carried across resumes
     * @param world        ranks training together
     * @param allreduceS   seconds the step spent summing gradients over the ranks
     * @param allreduceBytes bytes of gradient each rank summed in the step
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Step(@JsonProperty("step") long step, @JsonProperty("loss") double loss, @JsonProperty("lr") double lr,
                       @JsonProperty("grad_norm") double gradNorm, @JsonProperty("clip_coef") double clipCoef,
                       @JsonProperty("images_per_s") double imagesPerS, @JsonProperty("tokens_per_s") double tokensPerS,
                       @JsonProperty("skipped_steps") long skippedSteps, @JsonProperty("epoch") long epoch,
                       @JsonProperty("rss_mb") long rssMb, @JsonProperty("live_ndarrays") int liveNdarrays,
                       @JsonProperty("val_loss") Double valLoss, @JsonProperty("elapsed_s") double elapsedS,
                       @JsonProperty("world") int world, @JsonProperty("allreduce_s") double allreduceS,
                       @JsonProperty("allreduce_bytes") long allreduceBytes) {}

    public MetricsLog(Path file) {
        this.file = file;
    }

    public void append(Step line) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(line) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    /** Every line, in order; none when the log does not exist yet. */
    public List<Step> read() throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        List<Step> lines = new ArrayList<>();
        int number = 0;
        for (String l : Files.readAllLines(file)) {
            number++;
            if (l.isBlank()) {
                continue;
            }
            try {
                lines.add(JSON.readValue(l, Step.class));
            } catch (JacksonException e) {
                throw new IOException(file + ": line " + number + " is not a metrics line: " + e.getOriginalMessage(), e);
            }
        }
        return lines;
    }

    /**
     * Drops lines of steps after {@code step} (left by a run that died after its last checkpoint), so a
     * resumed run's log reads as one run. A torn last line from a crash is dropped too.
     */
    public void truncateAfter(long step) throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        List<String> keep = Files.readAllLines(file).stream().filter(l -> {
            try {
                return JSON.readValue(l, Step.class).step() <= step;
            } catch (JacksonException e) {
                return false;
            }
        }).toList();
        AtomicFiles.writeString(file, keep.isEmpty() ? "" : String.join("\n", keep) + "\n");
    }
}
