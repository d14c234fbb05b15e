package ai.aim4j.parity;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.Aim;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.weights.Npz;
import ai.aim4j.weights.WeightFiles;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The pre-training numerics against ml-l3m: forward outputs, loss, every gradient (float32 and a
 * float64 run), grad norm and clip coefficient, one AdamW step with and without clipping, and the
 * learning-rate schedule. Tolerances are those of {@link Tolerance}.
 */
class PretrainParityTest {
    @Test
    void pretrainSmallMatchesMlL3m() throws IOException {
        assertAllPass(Fixtures.shipped("pretrain-small"), 232);
    }

    @Test
    void pretrainVit224MatchesMlL3m() throws IOException {
        assertAllPass(Fixtures.large("pretrain-vit224"), 113);
    }

    @Test
    void aPretrainingCheckpointServesTheInferenceModelWithTheSameTrunkNumerics() throws IOException {
        Path dir = Fixtures.shipped("pretrain-small");
        PretrainConfig config = PretrainConfig.fromJson(ModelSpecs.readConfig(dir.resolve("config.json")), "pretrain-small");
        var inputs = Npz.read(dir.resolve("inputs.npz")).tensors();
        var outputs = Npz.read(dir.resolve("outputs.npz")).tensors();
        // ml-l3m names and split q/k/v in, ml-aim's fused layout and names out; the pixel head is ignored.
        try (NamedTensors weights = WeightFiles.read(dir.resolve("weights.safetensors"));
             Aim aim = Aim.load(config.trunk(), weights, DataType.FLOAT32, "pretrain-small");
             NDManager scope = NDManager.newBaseManager()) {
            var blocks = aim.extractFeatures(inputs.get("images").toNDArray(scope), -1, inputs.get("prefix_mask").toNDArray(scope));
            HostTensor tokens = HostTensor.fromNDArray(aim.postTrunkNorm(blocks.getLast()));
            ParityRow r = ParityCheck.row("weights.safetensors", "float32", "trunk_tokens", "trunk_tokens_f64", tokens,
                    outputs.get("trunk_tokens_f64"), Tolerance.FLOAT32);
            assertTrue(r.passed(), r.toString());
        }
    }

    private static void assertAllPass(Path dir, int expectedComparisons) throws IOException {
        List<ParityRow> rows = PretrainParity.run(dir);
        for (ParityRow r : rows) {
            assertTrue(r.passed(), () -> dir.getFileName() + " " + r);
        }
        assertTrue(rows.size() >= expectedComparisons, "only " + rows.size() + " comparisons");
        Set<String> files = rows.stream().map(ParityRow::weights).collect(Collectors.toSet());
        assertTrue(files.containsAll(Set.of("outputs.npz", "grads.npz", "step.npz", "step_noclip.npz", "schedule.json")), files.toString());
        Set<String> outputs = rows.stream().map(ParityRow::output).collect(Collectors.toSet());
        assertTrue(outputs.containsAll(Set.of("loss", "head_preds", "trunk_tokens", "targets_normalized", "per_position_loss",
                "grad_norm", "clip_coef", "trunk.blocks.1.attn.q_proj.weight", "head.decoder_pred.weight")), outputs.toString());
    }
}
