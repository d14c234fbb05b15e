package ai.aim4j.parity;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.run.ModelSpecs;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the tests find the parity fixtures: the copies shipped in this module's test resources, and,
 * when the shared reference folder exists beside the repository, its larger cases too.
 */
final class Fixtures {
    private Fixtures() {}

    /** The model of a fixture case, from its {@code config.json}. */
    static AimConfig config(String name) throws IOException {
        return AimConfig.fromJson(ModelSpecs.readConfig(shipped(name).resolve("config.json")), name);
    }

    /** A fixture case shipped with the tests (tiny-gray, small-rgb). */
    static Path shipped(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test fixture " + name + " is missing from the test resources", e);
        }
    }

    /**
     * The shared reference folder, from the system property {@code aim4j.shared.parity} (set by the
     * build to {@code ../shared/parity} of the repository); null when it is not there.
     */
    static Path shared() {
        String p = System.getProperty("aim4j.shared.parity");
        if (p == null || p.isBlank()) {
            return null;
        }
        Path dir = Path.of(p);
        return Files.isDirectory(dir) ? dir : null;
    }
}
