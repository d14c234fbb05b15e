package ai.aim4j.parity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Java model against the official ml-aim outputs, for every shipped case and every weights format:
 * logits, every block, patch tokens, position table, post-trunk norm, averaged probe features and the
 * prefix-causal blocks. Tolerances are those of {@link Tolerance}.
 */
class ForwardParityTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gray", "small-rgb"})
    void everyOutputOfEveryFormatMatchesTheOfficialNumerics(String name) throws IOException {
        Path dir = Fixtures.shipped(name);
        List<ParityRow> rows = ParityCheck.run(dir, List.of());
        ParityCheck.print(rows, new PrintStream(System.out, true));
        for (ParityRow r : rows) {
            assertTrue(r.passed(), () -> name + " " + r + " exceeds its tolerance");
        }
        Set<String> formats = rows.stream().map(ParityRow::weights).collect(Collectors.toSet());
        assertEquals(Set.of("weights.safetensors", "weights.pth", "weights_flax.msgpack", "weights_flax.npz"), formats);
        Set<String> outputs = rows.stream().map(ParityRow::output).collect(Collectors.toSet());
        for (String key : List.of("outputs.npz:logits", "outputs.npz:patch_tokens", "outputs.npz:patchifier_tokens", "outputs.npz:pos_embed",
                "outputs.npz:post_trunk_norm", "outputs.npz:averaged_probe_features", "outputs.npz:features_block_0",
                "prefix_outputs.npz:features_block_0", "prefix_outputs.npz:post_trunk_norm")) {
            assertTrue(outputs.contains(key), () -> name + ": no comparison of " + key);
        }
        // 4 formats x (float32 vs f32 + f64 references, float64 vs f64 references) over every output.
        assertTrue(rows.size() >= 4 * 3 * 9, () -> "too few comparisons: " + rows.size());
    }
}
