package ai.aim4j.parity;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The largest forward case (vit224, the real models' 224 px / 14 px geometry) is too big to ship with
 * the tests; it is checked here whenever the shared reference folder is present beside the repository.
 */
class SharedFixturesTest {
    @Test
    void everySharedForwardCaseAndFormatPasses() throws IOException {
        Path shared = Fixtures.shared();
        assumeTrue(shared != null, "the shared parity folder is not present beside the repository");
        List<Path> cases = ParityCheck.cases(shared);
        assertFalse(cases.isEmpty(), "the shared folder holds no forward case");
        for (Path c : cases) {
            List<ParityRow> rows = ParityCheck.run(c, List.of());
            assertFalse(rows.isEmpty());
            for (ParityRow r : rows) {
                assertTrue(r.passed(), () -> c + " " + r);
            }
        }
    }
}
