package ai.aim4j.eval;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.arrow.ListedSamples;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.source.ImageFolder;
import ai.aim4j.data.BatchTensors;
import ai.aim4j.data.ModelInput;
import ai.aim4j.data.PassPlan;
import ai.aim4j.dist.Collectives;
import ai.aim4j.dist.LeadDecision;
import ai.aim4j.dist.SharedFailure;
import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.Aim;
import ai.aim4j.report.Charts;
import ai.aim4j.run.ModelSpecs;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Classification metrics of a trunk and its probe head on a dataset: top-1, top-5, mean
 * cross-entropy, per-class accuracy and the confusion matrix, written as {@code OUT/eval.json} and
 * (up to 100 classes) a heat-map {@code OUT/confusion.png}.
 */
public final class EvalEngine {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String IMAGE_FOLDER = "imagefolder:";
    private static final int BATCH = 128;
    private static final int MAX_CHART_CLASSES = 100;

    private EvalEngine() {}

    /** Evaluates and writes the results; over several ranks each scores its share and the lead writes. */
    public static EvalResult run(EvalSettings s, Collectives comm, PrintStream log) throws IOException {
        Path data = Path.of(LeadDecision.share(comm, () -> dataset(s).toString()));
        try (Aim aim = ModelSpecs.loadAim(s.files(), s.model(), s.probeLayers(), true); ShardSet set = ShardSet.open(data)) {
            if (!aim.hasHead()) {
                throw new SharedFailure(s.files() + " holds no head.* weights: pass the head file with --head");
            }
            EvalResult r = evaluate(aim, set, s.limit(), comm, log);
            if (!comm.isLead()) {
                return r;
            }
            Files.createDirectories(s.out());
            AtomicFiles.writeString(s.out().resolve("eval.json"), JSON.writeValueAsString(r) + "\n");
            if (r.confusion().length <= MAX_CHART_CLASSES) {
                Charts.confusion(r.confusion(), s.out().resolve("confusion.png"));
            }
            return r;
        }
    }

    /** The shards to evaluate: the data as given, or an image folder sharded into {@code OUT/data} first. */
    private static Path dataset(EvalSettings s) throws IOException {
        if (!s.data().startsWith(IMAGE_FOLDER)) {
            return Path.of(s.data());
        }
        Path dataset = s.out().resolve("data");
        try (ImageFolder source = new ImageFolder(Path.of(s.data().substring(IMAGE_FOLDER.length())), "eval")) {
            DatasetWriter.write(source, dataset, (int) Math.max(1, Math.min(64, source.size() / 1000)), null, Map.of("from", s.data()), n -> { });
        }
        return dataset;
    }

    /**
     * One pass over at most {@code limit} images in pass order, without augmentation; over several
     * ranks each scores its block and the counts are summed, so every rank gets the whole result.
     */
    static EvalResult evaluate(Aim aim, ShardSet data, long limit, Collectives comm, PrintStream log) {
        int k = aim.config().numClasses();
        int topk = Math.min(5, k);
        // The confusion matrix row by row, then top-1 hits, top-5 hits and images: one sum over the ranks.
        long[] counts = new long[k * k + 3];
        double[] loss = {0};
        int[] mine = PassPlan.firstOf(data, limit).share(0, comm.rank(), comm.world());
        try (BatchLoader loader = new BatchLoader(data, new ListedSamples(mine), BATCH, ModelInput.transform(aim.config(), data, "none", false),
                0, BatchTensors.loaderThreads(), 2, false, w -> log.println("aim4j: " + w))) {
            for (int consumed = 0; consumed < mine.length; ) {
                try (Batch b = loader.next(); NDManager scope = NDManager.newBaseManager()) {
                    consumed += b.size() + b.skipped();
                    if (b.size() == 0) {
                        continue;
                    }
                    NDArray logits = aim.forward(BatchTensors.images(b, scope));
                    float[] lp = logits.logSoftmax(1).toFloatArray();
                    long[] order = logits.argSort(1, false).get(":, :" + topk).toLongArray();
                    int[] y = b.labels();
                    for (int i = 0; i < b.size(); i++) {
                        if (y[i] >= k) {
                            throw new IllegalArgumentException(data.location() + ": label " + y[i] + " is beyond the head's " + k + " classes");
                        }
                        loss[0] -= lp[i * k + y[i]];
                        int pred = (int) order[i * topk];
                        counts[y[i] * k + pred]++;
                        counts[k * k] += pred == y[i] ? 1 : 0;
                        for (int j = 0; j < topk; j++) {
                            if (order[i * topk + j] == y[i]) {
                                counts[k * k + 1]++;
                                break;
                            }
                        }
                        counts[k * k + 2]++;
                    }
                }
            }
        }
        comm.allReduceLongs(counts);
        comm.allReduceDoubles(loss);
        long[][] confusion = new long[k][];
        for (int c = 0; c < k; c++) {
            confusion[c] = Arrays.copyOfRange(counts, c * k, (c + 1) * k);
        }
        long top1 = counts[k * k];
        long top5 = counts[k * k + 1];
        long n = counts[k * k + 2];
        List<String> names = data.info().classNames();
        List<EvalResult.ClassAccuracy> perClass = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            long total = 0;
            for (long v : confusion[c]) {
                total += v;
            }
            perClass.add(new EvalResult.ClassAccuracy(c, c < names.size() ? names.get(c) : Integer.toString(c), total,
                    total == 0 ? Double.NaN : (double) confusion[c][c] / total));
        }
        return new EvalResult(n, (double) top1 / n, (double) top5 / n, loss[0] / n, perClass, confusion);
    }
}
