package ai.aim4j.parity;

import ai.aim4j.model.Aim;
import ai.aim4j.model.aten.Aten;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.run.Precision;
import ai.aim4j.weights.Npz;
import ai.aim4j.weights.WeightFiles;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs the Java model on a parity fixture folder (config.json, inputs.npz, outputs.npz, optionally
 * prefix_outputs.npz, and weights files) and compares every reference tensor: the float32 model
 * against the float32 and float64 references, and a float64 run of the same weights against the
 * float64 references.
 */
public final class ParityCheck {
    private static final List<String> WEIGHT_FILES = List.of("weights.safetensors", "weights.pth", "weights_flax.msgpack", "weights_flax.npz");

    private ParityCheck() {}

    /** The weights files present in a fixture folder, in a fixed order. */
    public static List<Path> weightFiles(Path dir) {
        return WEIGHT_FILES.stream().map(dir::resolve).filter(Files::isRegularFile).toList();
    }

    /** Checks every given weights file (all present ones when {@code weights} is empty). */
    public static List<ParityRow> run(Path dir, List<Path> weights) throws IOException {
        if (isPretrainCase(dir)) {
            throw new IOException(dir + " is a pre-training fixture (ml-l3m decoder and loss); parity check covers forward fixtures");
        }
        AimConfig config;
        try {
            config = AimConfig.fromJson(ModelSpecs.readConfig(dir.resolve("config.json")), dir.getFileName().toString());
        } catch (IllegalArgumentException e) {
            throw new IOException(dir.resolve("config.json") + ": " + e.getMessage(), e);
        }
        List<Path> files = weights.isEmpty() ? weightFiles(dir) : weights;
        if (files.isEmpty()) {
            throw new IOException(dir + ": no weights file (weights.safetensors, weights.pth, weights_flax.*)");
        }
        Map<String, HostTensor> inputs = Npz.read(dir.resolve("inputs.npz")).tensors();
        Map<String, HostTensor> outputs = Npz.read(dir.resolve("outputs.npz")).tensors();
        Path prefixFile = dir.resolve("prefix_outputs.npz");
        Map<String, HostTensor> prefixOutputs = Files.isRegularFile(prefixFile) ? Npz.read(prefixFile).tensors() : Map.of();
        List<ParityRow> rows = new ArrayList<>();
        for (Path w : files) {
            for (DataType precision : List.of(DataType.FLOAT32, DataType.FLOAT64)) {
                try (NamedTensors tensors = WeightFiles.read(w);
                     Aim model = Aim.load(config, tensors, precision, w.toString());
                     NDManager scope = NDManager.newBaseManager()) {
                    Map<String, HostTensor> got = outputs(model, scope, inputs, !prefixOutputs.isEmpty());
                    compare(w.getFileName().toString(), precision, got, outputs, prefixOutputs, "outputs.npz", "prefix_outputs.npz", rows);
                }
            }
        }
        return rows;
    }

    /**
     * Every output a forward fixture holds, computed by {@code model} on {@code inputs} ({@code images},
     * and {@code prefix_mask} when {@code prefix}): the prefix-masked ones under {@code prefix/}.
     */
    static Map<String, HostTensor> outputs(Aim model, NDManager scope, Map<String, HostTensor> inputs, boolean prefix) {
        Map<String, HostTensor> got = new LinkedHashMap<>();
        compute(model, scope, inputs, got);
        if (prefix) {
            computePrefix(model, scope, inputs, got);
        }
        return got;
    }

    private static void compute(Aim model, NDManager scope, Map<String, HostTensor> inputs, Map<String, HostTensor> got) {
        NDArray images = inputs.get("images").toNDArray(scope);
        got.put("patchifier_tokens", host(model.patchifierTokens(images)));
        got.put("patch_tokens", host(model.patchTokens(images)));
        got.put("pos_embed", host(model.posEmbed()));
        NDList blocks = model.extractFeatures(images, -1, null);
        for (int i = 0; i < blocks.size(); i++) {
            got.put("features_block_" + i, host(blocks.get(i)));
        }
        got.put("post_trunk_norm", host(model.postTrunkNorm(blocks.getLast())));
        NDArray probe = model.averageProbeFeatures(blocks);
        got.put("averaged_probe_features", host(probe));
        if (model.hasHead()) {
            got.put("logits", host(model.classify(probe)));
        }
    }

    private static void computePrefix(Aim model, NDManager scope, Map<String, HostTensor> inputs, Map<String, HostTensor> got) {
        NDArray images = inputs.get("images").toNDArray(scope);
        NDArray mask = inputs.get("prefix_mask").toNDArray(scope);
        NDList blocks = model.extractFeatures(images, -1, mask);
        for (int i = 0; i < blocks.size(); i++) {
            got.put("prefix/features_block_" + i, host(blocks.get(i)));
        }
        got.put("prefix/post_trunk_norm", host(model.postTrunkNorm(blocks.getLast())));
    }

    /**
     * Rows comparing {@code got} with the references: a float32 model with both the float32 key and its
     * {@code _f64} twin, a float64 model with the {@code _f64} key only, a bf16 mixed-precision run with
     * the {@code _bf16} key only. The rows name the outputs {@code source:key} with the source
     * {@code plain} or {@code prefixed} (prefix-causal masking).
     */
    static void compare(String weights, DataType precision, Map<String, HostTensor> got, Map<String, HostTensor> outputs,
                        Map<String, HostTensor> prefixOutputs, String plain, String prefixed, List<ParityRow> rows) {
        Tolerance tol = switch (precision) {
            case FLOAT64 -> Tolerance.FLOAT64;
            case BFLOAT16 -> Tolerance.BF16;
            default -> Tolerance.FLOAT32;
        };
        for (var e : got.entrySet()) {
            boolean prefix = e.getKey().startsWith("prefix/");
            String key = prefix ? e.getKey().substring("prefix/".length()) : e.getKey();
            Map<String, HostTensor> refs = prefix ? prefixOutputs : outputs;
            String file = prefix ? prefixed : plain;
            List<String> refKeys = precision == DataType.FLOAT32 ? List.of(key, key + "_f64") : List.of(key + suffix(precision));
            for (String refKey : refKeys) {
                HostTensor ref = refs.get(refKey);
                if (ref == null) {
                    continue;
                }
                rows.add(row(weights, label(precision), file + ":" + key, refKey, e.getValue(), ref, tol));
            }
        }
    }

    /** A model output as a host tensor; a bf16 one (mixed precision) widened to float32, exactly. */
    static HostTensor host(NDArray output) {
        if (Aten.dataType(output) != DataType.BFLOAT16) {
            return HostTensor.fromNDArray(output);
        }
        try (NDArray wide = Aten.toType(output, DataType.FLOAT32)) {
            return HostTensor.fromNDArray(wide);
        }
    }

    /** The key suffix of a precision's references: {@code _f64}, {@code _bf16} (mixed precision) or none (float32). */
    static String suffix(DataType precision) {
        return switch (precision) {
            case FLOAT64 -> "_f64";
            case BFLOAT16 -> "_bf16";
            default -> "";
        };
    }

    /** A precision as the tables name it; bfloat16 stands for mixed precision, a float32 model with bf16 products. */
    static String label(DataType precision) {
        return switch (precision) {
            case FLOAT64 -> "float64";
            case BFLOAT16 -> "bf16-mix";
            default -> "float32";
        };
    }

    /** The type a precision's model holds its weights in (mixed precision keeps float32 ones). */
    static DataType weightsType(DataType precision) {
        return precision == DataType.BFLOAT16 ? DataType.FLOAT32 : precision;
    }

    /** The scope a precision's passes run in: bf16 autocast for mixed precision, none otherwise. */
    static Autocast scope(DataType precision) {
        return (precision == DataType.BFLOAT16 ? Precision.BF16 : Precision.FP32).scope();
    }

    static ParityRow row(String weights, String precision, String output, String refKey, HostTensor got, HostTensor ref, Tolerance tol) {
        if (!Arrays.equals(got.shape(), ref.shape())) {
            return new ParityRow(weights, precision, output, refKey, got.shapeString() + " vs " + ref.shapeString(),
                    Double.POSITIVE_INFINITY, 0, 0);
        }
        double[] a = got.toDoubles();
        double[] b = ref.toDoubles();
        double maxRef = 0;
        double squares = 0;
        double squaredErrors = 0;
        for (int i = 0; i < b.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(b[i]));
            squares += b[i] * b[i];
            squaredErrors += (a[i] - b[i]) * (a[i] - b[i]);
        }
        double rmsRef = Math.sqrt(squares / Math.max(b.length, 1));
        if (tol.wholeTensor()) {
            double rmsErr = Math.sqrt(squaredErrors / Math.max(b.length, 1));
            // NaN anywhere is a failure, never silently below the bound.
            return new ParityRow(weights, precision, output, refKey, ref.shapeString(), Double.isNaN(rmsErr) ? Double.POSITIVE_INFINITY : rmsErr,
                    maxRef, tol.bound(0, maxRef, rmsRef));
        }
        double worstErr = 0;
        double worstBound = tol.bound(b.length == 0 ? 0 : b[0], maxRef, rmsRef);
        for (int i = 0; i < a.length; i++) {
            double err = Math.abs(a[i] - b[i]);
            err = Double.isNaN(err) ? Double.POSITIVE_INFINITY : err;
            double bound = tol.bound(b[i], maxRef, rmsRef);
            if (err / bound > worstErr / worstBound) {
                worstErr = err;
                worstBound = bound;
            }
        }
        return new ParityRow(weights, precision, output, refKey, ref.shapeString(), worstErr, maxRef, worstBound);
    }

    /** Prints the rows as an aligned table and returns whether all passed. */
    public static boolean print(List<ParityRow> rows, PrintStream out) {
        out.printf("%-22s %-8s %-44s %-30s %-16s %11s %11s  %s%n", "weights", "model", "output", "reference", "shape", "error", "bound", "result");
        for (ParityRow r : rows) {
            out.printf("%-22s %-8s %-44s %-30s %-16s %11.3e %11.3e  %s%n", r.weights(), r.precision(), r.output(), r.reference(),
                    r.shape().replace(" ", ""), r.error(), r.bound(), r.passed() ? "PASS" : "FAIL");
        }
        long failed = rows.stream().filter(r -> !r.passed()).count();
        out.printf("%s: %d of %d comparisons within tolerance%n", failed == 0 ? "ALL PASS" : "FAILED", rows.size() - failed, rows.size());
        return failed == 0 && !rows.isEmpty();
    }

    /** Forward-pass fixture folders under a root (config.json, inputs.npz and outputs.npz; no decoder). */
    public static List<Path> cases(Path root) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.sorted().toList()) {
                if (Files.isRegularFile(p.resolve("outputs.npz")) && Files.isRegularFile(p.resolve("inputs.npz"))
                        && Files.isRegularFile(p.resolve("config.json")) && !isPretrainCase(p)) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /** A pre-training fixture (ml-l3m model with a pixel decoder) rather than a forward one. */
    public static boolean isPretrainCase(Path dir) throws IOException {
        return ModelSpecs.readConfig(dir.resolve("config.json")).has("decoder");
    }
}
