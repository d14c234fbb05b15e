package ai.aim4j.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.aim4j.model.Aim;
import ai.aim4j.model.AimPretraining;
import ai.aim4j.model.config.PretrainConfig;
import ai.aim4j.model.naming.L3mNames;
import ai.aim4j.model.nn.Parameter;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.run.ModelSpecs;
import ai.aim4j.weights.SafeTensors;
import ai.aim4j.weights.WeightFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The layer tree is the model's only declaration of its parameters, and it is the official one:
 * names, order and shapes equal ml-aim's state dict (the fixtures' {@code weights.pth}, saved by the
 * official code), and the ml-l3m names derived from it equal ml-l3m's own training checkpoint.
 */
class DeclarationsTest {
    private static List<String> described(Map<String, long[]> shapes) {
        return shapes.entrySet().stream().map(e -> e.getKey() + Arrays.toString(e.getValue())).toList();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gray", "small-rgb"})
    void theInferenceTreeIsMlAimsStateDict(String name) throws IOException {
        var declared = new Aim(Fixtures.config(name), true).namedParameters();
        Map<String, long[]> ours = new LinkedHashMap<>();
        declared.forEach((k, p) -> {
            if (p.persistent()) {
                ours.put(k, p.shape());
            }
        });
        try (NamedTensors official = WeightFiles.read(Fixtures.shipped(name).resolve("weights.pth"))) {
            Map<String, long[]> theirs = new LinkedHashMap<>();
            official.tensors().forEach((k, t) -> theirs.put(k, t.shape()));
            assertEquals(described(theirs), described(ours), "names, order and shapes of the official state dict");
        }
    }

    @Test
    void theMlL3mNamesDerivedFromThePreTrainingTreeAreMlL3msOwn() throws IOException {
        Path dir = Fixtures.shipped("pretrain-small");
        PretrainConfig config = PretrainConfig.fromJson(ModelSpecs.readConfig(dir.resolve("config.json")), "pretrain-small");
        AimPretraining tree = new AimPretraining(config);
        Map<String, HostTensor> zeros = new LinkedHashMap<>();
        for (var e : tree.namedParameters().entrySet()) {
            Parameter p = e.getValue();
            zeros.put(e.getKey(), HostTensor.ofFloats(p.shape(), new float[(int) p.numel()]));
        }
        try (NamedTensors official = SafeTensors.read(dir.resolve("weights.safetensors"))) {
            Map<String, long[]> theirs = new TreeMap<>();
            official.tensors().forEach((k, t) -> theirs.put(k, t.shape()));
            Map<String, long[]> ours = new TreeMap<>();
            L3mNames.toL3m(tree, new LinkedHashMap<>(zeros)).forEach((k, t) -> ours.put(k, t.shape()));
            assertEquals(described(theirs), described(ours), "ml-l3m's names and shapes, q/k/v split");
        }
    }
}
