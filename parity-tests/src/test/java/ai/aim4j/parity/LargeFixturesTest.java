package ai.aim4j.parity;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The largest forward case (vit224, the real models' 224 px / 14 px geometry, 256 tokens), float32 and
 * float64 against the official results, kept apart from the small cases the demo checks.
 */
class LargeFixturesTest {
    @Test
    void theVit224ForwardCasePasses() throws IOException {
        List<ParityRow> rows = ParityCheck.run(Fixtures.large("vit224"), List.of());
        assertFalse(rows.isEmpty());
        for (ParityRow r : rows) {
            assertTrue(r.passed(), r::toString);
        }
    }
}
