package ai.aim4j.cli;

import ai.aim4j.eval.EvalEngine;
import ai.aim4j.eval.EvalResult;
import ai.aim4j.eval.EvalSettings;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code aim4j eval}: top-1, top-5, loss, per-class accuracy and the confusion matrix of a trunk + head. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a trunk with its probe head (one merged file, or --head; e.g. ml-aim's released *_backbone.pth and"
                + " *_head_*.pth) on sharded data: OUT/eval.json and OUT/confusion.png.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--weights", required = true, description = "trunk weights (or trunk + head in one file)")
    Path weights;

    @Option(names = "--head", description = "head weights, when not in --weights")
    Path head;

    @Option(names = "--model", description = "preset or model config; default: inferred from the weights")
    String model;

    @Option(names = "--probe-layers", description = "last, best or a list (must match how the head was trained)")
    String probeLayers;

    @Option(names = "--data", required = true, description = "dataset: aim4j shards, a Hugging Face folder, an Arrow file, or"
            + " imagefolder:DIR (class sub-folders of JPEG/PNG files, sharded into OUT/data first)")
    String data;

    @Option(names = "--out", defaultValue = "eval", description = "output folder (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--limit", defaultValue = "9223372036854775807", description = "evaluate at most this many images")
    long limit;

    EvalSettings settings() {
        return new EvalSettings(weights, head, model, probeLayers, data, out, limit);
    }

    @Override
    public Integer call() throws Exception {
        EvalSettings s = settings();
        return Ranks.run(comm -> {
            EvalResult r = EvalEngine.run(s, comm, System.err);
            if (comm.isLead()) {
                System.out.printf("%d images: top-1 %.2f%%, top-5 %.2f%%, loss %.4f; details in %s%n", r.images(), 100 * r.top1(),
                        100 * r.top5(), r.loss(), out.resolve("eval.json"));
            }
            return 0;
        });
    }
}
