package ai.aim4j.probe;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.Aim;
import ai.aim4j.train.ModelInput;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;

/**
 * Classification metrics of a trunk and head on a dataset: top-1, top-5, mean cross-entropy,
 * per-class accuracy and the confusion matrix, written as JSON and (up to 100 classes) a heat-map PNG.
 */
public final class Evaluation {
    private Evaluation() {}

    public static ObjectNode run(Aim aim, ShardSet data, long limit, int threads, Path out) throws IOException {
        int k = aim.config().numClasses();
        long[][] confusion = new long[k][k];
        long top1 = 0;
        long top5 = 0;
        double loss = 0;
        long n = 0;
        long target = Math.min(limit, data.size());
        try (BatchLoader loader = new BatchLoader(data, new Sampler(data.size(), 0, 0, 1), new Sampler.Cursor(0, 0), 128,
                ModelInput.transform(aim.config(), data, "none", false), 0, threads, 2, false, w -> System.err.println("aim4j: " + w))) {
            long seen = 0;
            while (seen < data.size() && n < target) {
                try (Batch b = loader.next(); NDManager scope = NDManager.newBaseManager()) {
                    seen += b.size() + b.skipped();
                    int[] s = b.shape();
                    NDArray logits = aim.forward(scope.create(b.buffer(), new Shape(s[0], s[1], s[2], s[3]), DataType.FLOAT32));
                    int take = (int) Math.min(b.size(), target - n);
                    int[] y = b.labels();
                    NDArray logp = logits.logSoftmax(1);
                    float[] lp = logp.toFloatArray();
                    long[] order = logits.argSort(1, false).get(":, :" + Math.min(5, k)).toLongArray();
                    int topk = Math.min(5, k);
                    long[] epochs = b.epochs();
                    for (int i = 0; i < take; i++) {
                        if (epochs[i] != 0) {
                            take = i; // the loader ran on into the next epoch: one pass only
                            break;
                        }
                        if (y[i] >= k) {
                            throw new IllegalArgumentException(data.location() + ": label " + y[i] + " is beyond the head's " + k + " classes");
                        }
                        loss -= lp[i * k + y[i]];
                        int pred = (int) order[i * topk];
                        confusion[y[i]][pred]++;
                        top1 += pred == y[i] ? 1 : 0;
                        for (int j = 0; j < topk; j++) {
                            if (order[i * topk + j] == y[i]) {
                                top5++;
                                break;
                            }
                        }
                    }
                    n += take;
                }
            }
        }
        ObjectNode r = new ObjectMapper().createObjectNode();
        r.put("images", n).put("top1", (double) top1 / n).put("top5", (double) top5 / n).put("loss", loss / n);
        List<String> names = data.info().classNames();
        ArrayNode perClass = r.putArray("per_class");
        for (int c = 0; c < k; c++) {
            long total = 0;
            for (int p = 0; p < k; p++) {
                total += confusion[c][p];
            }
            perClass.addObject().put("class", c).put("name", c < names.size() ? names.get(c) : Integer.toString(c)).put("images", total)
                    .put("top1", total == 0 ? Double.NaN : (double) confusion[c][c] / total);
        }
        ArrayNode cm = r.putArray("confusion");
        for (long[] row : confusion) {
            ArrayNode a = cm.addArray();
            for (long v : row) {
                a.add(v);
            }
        }
        Files.createDirectories(out);
        AtomicFiles.writeString(out.resolve("eval.json"), r.toPrettyString() + "\n");
        if (k <= 100) {
            writeConfusionPng(confusion, out.resolve("confusion.png"));
        }
        return r;
    }

    private static void writeConfusionPng(long[][] confusion, Path file) throws IOException {
        int k = confusion.length;
        int[] axis = new int[k];
        for (int i = 0; i < k; i++) {
            axis[i] = i;
        }
        Number[][] heat = new Number[k * k][];
        for (int t = 0; t < k; t++) {
            long total = java.util.Arrays.stream(confusion[t]).sum();
            for (int p = 0; p < k; p++) {
                heat[t * k + p] = new Number[] {p, t, total == 0 ? 0 : 100.0 * confusion[t][p] / total};
            }
        }
        HeatMapChart chart = new HeatMapChartBuilder().width(720).height(640).title("Confusion matrix (% of each true class)")
                .xAxisTitle("predicted class").yAxisTitle("true class").build();
        chart.getStyler().setShowValue(k <= 20);
        chart.addSeries("confusion", java.util.Arrays.stream(axis).boxed().toList(), java.util.Arrays.stream(axis).boxed().toList(),
                java.util.Arrays.asList(heat));
        ai.aim4j.report.Charts.save(chart, file);
    }
}
