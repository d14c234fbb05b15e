package ai.aim4j.parity;

import ai.aim4j.interop.worker.PythonWorker;
import ai.aim4j.interop.worker.WorkerReply;
import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.nn.Autocast;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.weights.WeightFiles;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.Consumer;

/**
 * The Java model beside a Python reference (aim4j's own JAX or PyTorch AIM, or ml-aim's package) on
 * the same batch, compared tensor by tensor with the fixtures' tolerance policy. The Python side's
 * results are laid out as a fixture would hold them (float64 ones under {@code _f64} keys), so the
 * comparison is the very code {@code parity check} and {@code parity pretrain} run.
 */
public final class LiveParity {
    /** The Python function that runs a reference's forward pass (see aim4j/parity_ops.py). */
    private static final String FORWARD_OP = "aim4j.parity_ops:forward";
    /** The Python function that runs a reference's pre-training step. */
    private static final String PRETRAIN_OP = "aim4j.parity_ops:pretrain_step";
    private static final String GRAD = "grad/";
    private static final String STEP = "step/";

    /**
     * What to check.
     *
     * @param backend    {@code jax} or {@code torch}
     * @param reference  {@code aim4j} (the package's own models) or {@code ml-aim} (the official package)
     * @param config     a preset or config file; null to take the config the weights imply
     * @param data       a dataset whose first {@code batch} images are the input; null for random images
     * @param precisions the Java model's precisions (the reference runs in the same ones)
     * @param pretrain   the pre-training step (loss, gradients, AdamW) instead of the forward pass
     * @param notes      receives what the reference adapted to make the comparison fair (ml-aim's corrections), once per call
     */
    public record Request(String backend, String reference, Path weights, String config, Path data, int batch, long seed,
                          List<DataType> precisions, boolean pretrain, Consumer<String> notes) {
        public String label() {
            return reference.equals("aim4j") ? backend : backend + "/" + reference;
        }
    }

    private LiveParity() {}

    /** Runs the check on {@code worker} (started for the request's backend) and returns every comparison. */
    public static List<ParityRow> run(Request r, PythonWorker worker) throws IOException {
        return r.pretrain() ? pretrain(r, worker) : forward(r, worker);
    }

    private static List<ParityRow> forward(Request r, PythonWorker worker) throws IOException {
        List<ParityRow> rows = new ArrayList<>();
        try (NamedTensors weights = WeightFiles.read(r.weights())) {
            AimConfig config = ModelSpecs.forWeights(r.config(), weights, null);
            SequencedMap<String, HostTensor> inputs = inputs(r, config);
            Map<String, HostTensor> outputs = new HashMap<>();
            Map<String, HostTensor> prefixOutputs = new HashMap<>();
            List<WorkerReply> replies = new ArrayList<>();
            try {
                for (DataType precision : r.precisions()) {
                    WorkerReply reply = call(worker, FORWARD_OP, r, config.toJson(), precision, null, inputs);
                    replies.add(reply);
                    String suffix = ParityCheck.suffix(precision);
                    reply.tensors().tensors().forEach((k, v) -> {
                        if (k.startsWith("prefix/")) {
                            prefixOutputs.put(k.substring("prefix/".length()) + suffix, v);
                        } else {
                            outputs.put(k + suffix, v);
                        }
                    });
                }
                for (DataType precision : r.precisions()) {
                    // The model takes over the file's memory and releases it on close: each precision reads the file anew.
                    try (NamedTensors own = WeightFiles.read(r.weights());
                         Aim model = Aim.load(config, own, ParityCheck.weightsType(precision), r.weights().toString());
                         NDManager scope = NDManager.newBaseManager();
                         Autocast ignored = ParityCheck.scope(precision)) {
                        ParityCheck.compare(r.label(), precision, ParityCheck.outputs(model, scope, inputs, true), outputs, prefixOutputs,
                                "forward", "prefix-causal", rows);
                    }
                }
            } finally {
                closeAll(replies);
            }
        }
        return rows;
    }

    private static List<ParityRow> pretrain(Request r, PythonWorker worker) throws IOException {
        if (r.config() == null) {
            throw new IllegalArgumentException("--pretrain needs --config: the pre-training head's size is not in the trunk's weights");
        }
        PretrainConfig config = ModelSpecs.pretraining(r.config());
        List<ParityRow> rows = new ArrayList<>();
        try (NamedTensors weights = WeightFiles.read(r.weights())) {
            SequencedMap<String, HostTensor> inputs = inputs(r, config.trunk());
            List<WorkerReply> replies = new ArrayList<>();
            try {
                Map<String, HostTensor> stepGrads = null;
                Map<String, HostTensor> clipped = null;
                for (DataType precision : r.precisions()) {
                    WorkerReply reply = call(worker, PRETRAIN_OP, r, config.toJson(), precision, 1.0, inputs);
                    replies.add(reply);
                    String suffix = ParityCheck.suffix(precision);
                    Map<String, HostTensor> outputs = new HashMap<>();
                    Map<String, HostTensor> grads = new HashMap<>();
                    Map<String, HostTensor> after = new HashMap<>();
                    reply.tensors().tensors().forEach((k, v) -> {
                        if (k.startsWith(GRAD)) {
                            grads.put(k.substring(GRAD.length()) + suffix, v);
                        } else if (k.startsWith(STEP)) {
                            after.put(k.substring(STEP.length()), v);
                        } else if (k.equals("grad_norm") || k.equals("clip_coef")) {
                            grads.put(k + (k.equals("clip_coef") ? "" : suffix), v);
                        } else {
                            outputs.put(k.equals("target_mask") ? k : k + suffix, v);
                        }
                    });
                    PretrainParity.forwardAndGradients(config, weights.tensors(), precision, inputs, outputs, grads, r.label(), r.label(), rows);
                    if (precision == DataType.FLOAT32) {
                        stepGrads = grads;
                        clipped = after;
                    }
                }
                if (stepGrads != null) {
                    // Both sides step from the reference's own gradients, so the comparison is of the optimizers alone.
                    PretrainParity.step(config, weights.tensors(), stepGrads, clipped, true, r.label() + " step", rows);
                    WorkerReply unclipped = call(worker, PRETRAIN_OP, r, config.toJson(), DataType.FLOAT32, null, inputs);
                    replies.add(unclipped);
                    Map<String, HostTensor> after = new HashMap<>();
                    unclipped.tensors().tensors().forEach((k, v) -> {
                        if (k.startsWith(STEP)) {
                            after.put(k.substring(STEP.length()), v);
                        }
                    });
                    PretrainParity.step(config, weights.tensors(), stepGrads, after, false, r.label() + " step, no clip", rows);
                }
            } finally {
                closeAll(replies);
            }
        }
        return rows;
    }

    private static SequencedMap<String, HostTensor> inputs(Request r, AimConfig config) throws IOException {
        return r.data() != null ? LiveInputs.fromData(config, r.data(), r.batch(), r.seed()) : LiveInputs.random(config, r.batch(), r.seed());
    }

    private static WorkerReply call(PythonWorker worker, String op, Request r, JsonNode config, DataType precision, Double clip,
                                    SequencedMap<String, HostTensor> inputs) throws IOException {
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("backend", r.backend());
        args.put("reference", r.reference());
        args.put("config", config);
        args.put("weights", r.weights().toAbsolutePath().toString());
        args.put("dtype", switch (precision) {
            case FLOAT64 -> "float64";
            case BFLOAT16 -> "bfloat16";
            default -> "float32";
        });
        if (op.equals(PRETRAIN_OP)) {
            args.put("clip", clip);
        }
        WorkerReply reply = worker.call(op, args, inputs);
        if (reply.result().get("notes") instanceof List<?> notes) {
            notes.forEach(n -> r.notes().accept(r.label() + ": " + n));
        }
        return reply;
    }

    private static void closeAll(List<WorkerReply> replies) throws IOException {
        IOException first = null;
        for (WorkerReply reply : replies) {
            try {
                reply.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

}
