package ai.aim4j.bench;

import ai.aim4j.files.FileTrees;
import ai.aim4j.interop.worker.PythonEnvironment;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code aim4j bench stream}: images/s delivered into JAX ({@code jax.device_put(x, may_alias=True)},
 * then {@code block_until_ready}) by {@code aim4j stream} through Python's {@code JavaLoader}, next to
 * the usual Python pipeline (Pillow and NumPy on a {@code multiprocessing} pool with as many workers
 * as Java has decoding threads) doing the same pre-training augmentation, in one run
 * ({@code aim4j.bench_stream}). Medians over timed windows.
 */
public final class StreamBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StreamBench() {}

    /** What one run measured: images/s of each timed window, per side. */
    public record Result(String dataset, int batch, int workers, List<Double> java, List<Double> python, boolean javaAliased, String device) {
        /** The medians and ranges of both sides and their ratio. */
        public void print(PrintStream out) {
            double j = Timing.median(java);
            double p = Timing.median(python);
            out.printf("stream: %s, pre-training transform, batch %d, %d workers, into JAX on %s (median of %d windows)%n", dataset, batch,
                    workers, device, java.size());
            out.printf("  aim4j stream   %,8.0f images/s  (%,.0f-%,.0f)  Java loader threads, shared-memory ring, %s%n", j, min(java), max(java),
                    javaAliased ? "aliased by JAX (no copy)" : "copied by JAX");
            out.printf("  Python         %,8.0f images/s  (%,.0f-%,.0f)  Pillow + NumPy, multiprocessing pool%n", p, min(python), max(python));
            out.printf("  aim4j stream delivers %.2fx the Python pipeline's rate%n", j / p);
        }

        private static double min(List<Double> v) {
            return v.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        }

        private static double max(List<Double> v) {
            return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
        }
    }

    /**
     * Measures {@code data} (an aim4j folder of encoded images), or, when null, a generated folder of
     * {@code images} 224 px JPEGs in a temporary folder.
     *
     * @param aim4j the command line that runs aim4j (the stream's Java process)
     */
    public static Result run(Path data, int images, int batch, int workers, int windows, int batchesPerWindow, List<String> aim4j)
            throws IOException, InterruptedException {
        Path tmp = Files.createTempDirectory("aim4j-bench-stream");
        try {
            String name = data != null ? data.toString() : images + " synthetic 224 px JPEGs";
            Path dataset = data != null ? data : DataBenchRunner.jpegDataset(tmp, images);
            List<String> args = new ArrayList<>(List.of("-m", "aim4j.bench_stream", "--data", dataset.toString(), "--batch-size",
                    Integer.toString(batch), "--workers", Integer.toString(workers), "--repeats", Integer.toString(windows), "--batches",
                    Integer.toString(batchesPerWindow), "--command", JSON.writeValueAsString(aim4j)));
            Path log = tmp.resolve("python.log");
            Process p = PythonEnvironment.locate().process(args).redirectError(log.toFile()).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes());
            int code = p.waitFor();
            if (code != 0) {
                List<String> lines = Files.readAllLines(log);
                throw new IllegalStateException("the Python side of bench stream failed (exit " + code + ")"
                        + (lines.isEmpty() ? "" : ": " + lines.getLast()));
            }
            JsonNode r = JSON.readTree(out);
            return new Result(name, batch, workers, doubles(r.get("java")), doubles(r.get("python")), r.get("java_aliased").asBoolean(),
                    r.get("device").asText());
        } finally {
            FileTrees.delete(tmp);
        }
    }

    private static List<Double> doubles(JsonNode array) {
        List<Double> v = new ArrayList<>();
        array.forEach(n -> v.add(n.asDouble()));
        return v;
    }
}
