package ai.aim4j.parity;

import ai.aim4j.model.config.AimConfig;
import ai.aim4j.run.ModelSpecs;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

/**
 * Where the tests find the parity fixtures: the small cases shipped in this module's test resources,
 * and the larger ones, kept apart in {@code src/test/resources/fixtures-large}.
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
     * The larger cases (vit224: the real models' 224 px / 14 px geometry, forward and pre-training),
     * shipped in {@code src/test/resources/fixtures-large} with their safetensors weights only, apart
     * from the small cases that {@code parity check} and the demo run.
     */
    static Path large(String name) {
        try {
            return Path.of(Fixtures.class.getResource("/fixtures-large/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("test fixture " + name + " is missing from the test resources", e);
        }
    }
}
