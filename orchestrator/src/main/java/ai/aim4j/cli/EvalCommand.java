package ai.aim4j.cli;

import ai.aim4j.arrow.ShardSet;
import ai.aim4j.model.Aim;
import ai.aim4j.model.AimConfig;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.probe.Evaluation;
import ai.aim4j.weights.WeightFiles;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @Override
    public Integer call() throws Exception {
        List<Path> files = new ArrayList<>(List.of(weights));
        if (head != null) {
            files.add(head);
        }
        NamedTensors tensors = WeightFiles.read(files);
        AimConfig config = ModelOptions.trunk(model, tensors);
        if (tensors.tensors().containsKey("head.linear.weight")) {
            config = config.withNumClasses((int) tensors.get("head.linear.weight").shape()[0]);
        }
        if (probeLayers != null) {
            config = config.withProbeLayers(config.resolveProbeLayers(probeLayers));
        }
        Path dataset;
        if (data.startsWith("imagefolder:")) {
            dataset = out.resolve("data");
            try (var source = new ai.aim4j.arrow.source.ImageFolder(Path.of(data.substring("imagefolder:".length())), "eval")) {
                ai.aim4j.arrow.DatasetWriter.write(source, dataset, (int) Math.max(1, Math.min(64, source.size() / 1000)), null,
                        java.util.Map.of("from", data), n -> { });
            }
        } else {
            dataset = Path.of(data);
        }
        try (Aim aim = Aim.load(config, tensors, DataType.FLOAT32, files.toString(), true); ShardSet set = ShardSet.open(dataset)) {
            if (!aim.hasHead()) {
                throw new IllegalArgumentException(files + " holds no head.* weights: pass the head file with --head");
            }
            JsonNode r = Evaluation.run(aim, set, limit, Math.max(1, Runtime.getRuntime().availableProcessors() - 1), out);
            System.out.printf("%d images: top-1 %.2f%%, top-5 %.2f%%, loss %.4f; details in %s%n", r.get("images").asLong(),
                    100 * r.get("top1").asDouble(), 100 * r.get("top5").asDouble(), r.get("loss").asDouble(), out.resolve("eval.json"));
        }
        return 0;
    }
}
