package ai.aim4j.eval;

import ai.aim4j.run.Counts;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code aim4j eval} is asked to do.
 *
 * @param weights     trunk weights (or trunk and head in one file)
 * @param head        head weights when not in {@code weights}, else null
 * @param model       a preset or config file; null to infer it from the weights
 * @param probeLayers {@code last}, {@code best} or a list (as the head was trained); null for the config's own
 * @param data        aim4j shards, a Hugging Face folder, an Arrow file, or {@code imagefolder:DIR}
 * @param out         output folder
 * @param limit       evaluate at most this many images
 */
public record EvalSettings(Path weights, Path head, String model, String probeLayers, String data, Path out, long limit) {
    public EvalSettings {
        Counts.atLeast("--limit", limit, 1);
    }

    /** The weights files, merged when there are two. */
    public List<Path> files() {
        return head == null ? List.of(weights) : List.of(weights, head);
    }

    /** The equivalent {@code aim4j eval} command line. */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>(List.of("eval", "--weights", weights.toString()));
        if (head != null) {
            args.addAll(List.of("--head", head.toString()));
        }
        if (model != null) {
            args.addAll(List.of("--model", model));
        }
        if (probeLayers != null) {
            args.addAll(List.of("--probe-layers", probeLayers));
        }
        args.addAll(List.of("--data", data, "--out", out.toString()));
        if (limit != Long.MAX_VALUE) {
            args.addAll(List.of("--limit", Long.toString(limit)));
        }
        return args;
    }
}
