package ai.aim4j.parity;

import ai.aim4j.model.AimPretraining;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.naming.L3mNames;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.optim.AdamW;
import ai.aim4j.model.optim.DecayGroups;
import ai.aim4j.model.optim.GradClip;
import ai.aim4j.model.optim.LrSchedule;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.weights.Npz;
import ai.aim4j.weights.WeightFiles;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The pre-training numerics against a fixture made with ml-l3m's own classes: forward outputs, the
 * loss, every gradient, the global norm and clip coefficient (float32, and a float64 run against the
 * float64 references), one AdamW step with and without clipping from the stored gradients, and the
 * learning-rate schedule. Every number comes from the production classes ({@link AimPretraining},
 * {@link GradClip}, {@link AdamW}, {@link LrSchedule}).
 */
public final class PretrainParity {
    private static final String WEIGHTS = "weights.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private PretrainParity() {}

    public static List<ParityRow> run(Path dir) throws IOException {
        if (!ParityCheck.isPretrainCase(dir)) {
            throw new IOException(dir + " is not a pre-training fixture (its config.json has no decoder)");
        }
        PretrainConfig config;
        try {
            config = PretrainConfig.fromJson(ModelSpecs.readConfig(dir.resolve("config.json")), dir.getFileName().toString());
        } catch (IllegalArgumentException e) {
            throw new IOException(dir.resolve("config.json") + ": " + e.getMessage(), e);
        }
        Map<String, HostTensor> inputs = Npz.read(dir.resolve("inputs.npz")).tensors();
        Map<String, HostTensor> outputs = Npz.read(dir.resolve("outputs.npz")).tensors();
        Map<String, HostTensor> grads = Npz.read(dir.resolve("grads.npz")).tensors();
        List<ParityRow> rows = new ArrayList<>();
        try (NamedTensors weights = WeightFiles.read(dir.resolve(WEIGHTS))) {
            SequencedMap<String, HostTensor> internal = weights.tensors();
            for (DataType precision : List.of(DataType.FLOAT32, DataType.FLOAT64)) {
                forwardAndGradients(config, internal, precision, inputs, outputs, grads, "outputs.npz", "grads.npz", rows);
            }
            for (boolean clip : new boolean[] {true, false}) {
                Map<String, HostTensor> after = Npz.read(dir.resolve(clip ? "step.npz" : "step_noclip.npz")).tensors();
                step(config, internal, grads, after, clip, clip ? "step.npz" : "step_noclip.npz", rows);
            }
        }
        schedule(dir.resolve("schedule.json"), rows);
        return rows;
    }

    /**
     * The forward outputs, loss, gradients, grad norm and clip coefficient of one precision against
     * references under the fixture's keys (float64 ones with {@code _f64}); rows name their source
     * {@code outputsSource} and {@code gradsSource}.
     */
    static void forwardAndGradients(PretrainConfig config, SequencedMap<String, HostTensor> internal, DataType precision,
                                    Map<String, HostTensor> inputs, Map<String, HostTensor> outputs, Map<String, HostTensor> grads,
                                    String outputsSource, String gradsSource, List<ParityRow> rows) {
        boolean f64 = precision == DataType.FLOAT64;
        boolean mixed = precision == DataType.BFLOAT16;
        String model = ParityCheck.label(precision);
        String suffix = ParityCheck.suffix(precision);
        try (AimPretraining m = AimPretraining.create(config, internal, ParityCheck.weightsType(precision), WEIGHTS);
             NDManager scope = NDManager.newBaseManager()) {
            NDArray images = inputs.get("images").toNDArray(scope);
            NDArray mask = inputs.get("prefix_mask").toNDArray(scope);
            Map<String, HostTensor> got = new LinkedHashMap<>();
            // Every output of the full forward pass; the loss and gradients of the training path (the head at the scored positions).
            try (Autocast ignored = ParityCheck.scope(precision)) {
                AimPretraining.Forward fw = m.forward(images, mask);
                got.put("trunk_tokens", ParityCheck.host(fw.trunkTokens()));
                got.put("head_preds", ParityCheck.host(fw.preds()));
                got.put("targets_normalized", ParityCheck.host(fw.loss().targets()));
                got.put("per_position_loss", ParityCheck.host(fw.loss().perPosition()));
                got.put("target_mask", ParityCheck.host(fw.loss().targetMask()));
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss;
                try (Autocast ignored = ParityCheck.scope(precision)) {
                    loss = m.loss(images, mask).loss();
                }
                got.put("loss", ParityCheck.host(loss));
                gc.backward(loss);
            }
            for (var e : got.entrySet()) {
                String refKey = e.getKey().equals("target_mask") ? "target_mask" : e.getKey() + suffix;
                HostTensor ref = outputs.get(refKey);
                if (ref != null) {
                    Tolerance t = f64 ? Tolerance.FLOAT64 : mixed ? Tolerance.BF16 : e.getKey().equals("loss") ? Tolerance.LOSS : Tolerance.FLOAT32;
                    rows.add(ParityCheck.row(outputsSource, model, e.getKey(), refKey, e.getValue(), ref, t));
                }
            }
            SequencedMap<String, HostTensor> ours = new LinkedHashMap<>();
            List<NDArray> gradients = new ArrayList<>();
            m.trainableParameters().forEach((k, p) -> {
                NDArray g = p.getGradient();
                ours.put(k, HostTensor.fromNDArray(g));
                gradients.add(g);
            });
            for (var e : L3mNames.toL3m(m, ours).entrySet()) {
                HostTensor ref = grads.get(e.getKey() + suffix);
                if (ref != null) {
                    rows.add(ParityCheck.row(gradsSource, model, e.getKey(), e.getKey() + suffix, e.getValue(), ref, gradientTolerance(precision)));
                }
            }
            // The production clipping measures the norm and computes the coefficient (then scales these gradients, unused after).
            GradClip.Result clip = GradClip.clip(gradients, 1.0);
            gradients.forEach(NDArray::close);
            HostTensor normRef = grads.get("grad_norm" + suffix);
            if (normRef != null) {
                rows.add(ParityCheck.row(gradsSource, model, "grad_norm", "grad_norm" + suffix, HostTensor.scalar(clip.norm()), normRef,
                        gradientTolerance(precision)));
            }
            if (precision == DataType.FLOAT32) {
                rows.add(ParityCheck.row(gradsSource, model, "clip_coef", "clip_coef", HostTensor.scalar(clip.coef()), grads.get("clip_coef"),
                        Tolerance.GRADIENT));
            }
        }
    }

    private static Tolerance gradientTolerance(DataType precision) {
        return switch (precision) {
            case FLOAT64 -> Tolerance.FLOAT64;
            case BFLOAT16 -> Tolerance.BF16;
            default -> Tolerance.GRADIENT;
        };
    }

    /**
     * One AdamW step (lr 1e-3, clipped to norm 1 or not) from the given weights and the gradients
     * {@code grads} (ml-l3m names), compared with the parameters {@code after} it (rows named {@code source}).
     */
    static void step(PretrainConfig config, SequencedMap<String, HostTensor> internal, Map<String, HostTensor> grads,
                     Map<String, HostTensor> after, boolean clip, String source, List<ParityRow> rows) {
        try (AimPretraining m = AimPretraining.create(config, internal, DataType.FLOAT32, WEIGHTS);
             NDManager scope = NDManager.newBaseManager();
             AdamW opt = new AdamW(m.trainableParameters(), AdamW.Hyper.RECIPE, new DecayGroups(DecayGroups.RECIPE_EXCLUDES))) {
            // A backward pass gives every parameter its gradient tensor; the stored gradients replace its values.
            var t = config.trunk();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(m.forward(scope.zeros(new Shape(1, t.channels(), t.imgSize()[0], t.imgSize()[1])),
                        scope.create(lastTokenOnly(t.numPatches()), new Shape(1, t.numPatches()))).loss().loss());
            }
            SequencedMap<String, HostTensor> stored = storedGradients(grads, m);
            List<NDArray> gradients = new ArrayList<>();
            for (var e : m.trainableParameters().entrySet()) {
                NDArray g = e.getValue().getGradient();
                try (NDArray value = stored.get(e.getKey()).toNDArray(scope)) {
                    g.set(new NDIndex("..."), value);
                }
                gradients.add(g);
            }
            if (clip) {
                GradClip.clip(gradients, 1.0);
            }
            gradients.forEach(NDArray::close);
            opt.step(1e-3);
            SequencedMap<String, HostTensor> params = new LinkedHashMap<>();
            m.trainableParameters().forEach((k, p) -> params.put(k, HostTensor.fromNDArray(p)));
            for (var e : L3mNames.toL3m(m, params).entrySet()) {
                HostTensor ref = after.get(e.getKey());
                if (ref != null) {
                    rows.add(ParityCheck.row(source, "float32", e.getKey(), e.getKey(), e.getValue(), ref, Tolerance.STEP));
                }
            }
        }
    }

    /** Every trainable parameter's stored gradient under internal names; zeros where the fixture omitted a tensor. */
    private static SequencedMap<String, HostTensor> storedGradients(Map<String, HostTensor> grads, AimPretraining m) {
        SequencedMap<String, HostTensor> zeros = new LinkedHashMap<>();
        m.trainableParameters().forEach((k, p) -> zeros.put(k, HostTensor.ofFloats(p.getShape().getShape(), new float[(int) p.size()])));
        SequencedMap<String, HostTensor> l3m = new LinkedHashMap<>();
        L3mNames.toL3m(m, zeros).forEach((k, zero) -> l3m.put(k, grads.getOrDefault(k, zero)));
        return L3mNames.fromL3m(l3m);
    }

    private static boolean[] lastTokenOnly(int n) {
        boolean[] mask = new boolean[n];
        mask[n - 1] = true;
        return mask;
    }

    private static void schedule(Path file, List<ParityRow> rows) throws IOException {
        JsonNode lr = JSON.readTree(file.toFile()).path("lr");
        int total = lr.size() - 1;
        LrSchedule s = LrSchedule.recipe(1e-3, total);
        double maxErr = 0;
        double maxRef = 0;
        for (int i = 0; i <= total; i++) {
            maxErr = Math.max(maxErr, Math.abs(s.at(i) - lr.get(i).asDouble()));
            maxRef = Math.max(maxRef, Math.abs(lr.get(i).asDouble()));
        }
        rows.add(new ParityRow("schedule.json", "double", "lr[0.." + total + "]", "lr", "[" + (total + 1) + "]", maxErr, maxRef,
                Tolerance.SCHEDULE.bound(0, maxRef, 0)));
    }
}
