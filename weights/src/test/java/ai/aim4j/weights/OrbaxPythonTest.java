package ai.aim4j.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.Aim;
import ai.aim4j.model.config.AimConfig;
import ai.aim4j.model.naming.FlaxNames;
import ai.aim4j.model.tensor.NamedTensors;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our orbax checkpoints against orbax itself, on the tiny-gray fixture's weights. The reference is
 * the fixture's Flax msgpack, written by ml-aim's own conversion: orbax must restore what we write as
 * exactly that tree, and we must read what orbax writes as exactly its bits (plain, in small
 * chunks, zarr v3 and OCDBT; the last two through the Python worker).
 */
class OrbaxPythonTest {
    /** Chunks of at most this many bytes split every larger tensor of the fixture with a padded last chunk (1000 is no power of two). */
    private static final long SMALL_CHUNK_BYTES = 1000;
    /** tiny-gray has 28 Flax leaves, 436,736 bytes in all (the batch counter has no Flax counterpart). */
    private static final String SAME = " 28 436736";

    @TempDir
    Path dir;

    /** orbax's own checkpoints of the fixture, saved once for the class: one Python start instead of two. */
    @TempDir
    static Path saved;

    @BeforeAll
    static void saveTheFixtureWithOrbaxInEveryLayout() throws IOException, InterruptedException {
        OrbaxScript.save(fixture().resolve("weights_flax.msgpack"), saved, "plain", saved.resolve("plain").toString(),
                "chunked", saved.resolve("chunked").toString(), "zarr3", saved.resolve("zarr3").toString(), "ocdbt", saved.resolve("ocdbt").toString());
    }

    private static Path fixture() {
        return Path.of(System.getProperty("aim4j.home", ".")).resolve("parity-tests/src/test/resources/fixtures/tiny-gray");
    }

    @Test
    void orbaxRestoresOurCheckpointsAsTheOfficialFlaxTree() throws IOException, InterruptedException {
        Path whole = dir.resolve("whole");
        Path chunked = dir.resolve("chunked");
        AimConfig config = AimConfig.fromJson(new ObjectMapper().readTree(fixture().resolve("config.json").toFile()), "tiny-gray");
        Aim model = new Aim(config, true);
        try (NamedTensors t = WeightFiles.read(fixture().resolve("weights.safetensors"))) {
            var tensors = new LinkedHashMap<>(t.tensors());
            WeightFiles.write(Path.of(Orbax.PREFIX + whole), WeightFormat.ORBAX, tensors, model);
            OrbaxPlainWriter.write(chunked, FlaxNames.toFlax(model, tensors), SMALL_CHUNK_BYTES);
        }
        List<String> lines = OrbaxScript.compare(fixture().resolve("weights_flax.msgpack"), dir, whole, chunked);
        assertEquals(List.of("SAME " + whole + SAME, "SAME " + chunked + SAME), lines);
    }

    @Test
    void weReadWhatOrbaxWritesBitForBitInEveryLayout() throws IOException, InterruptedException {
        Path msgpack = fixture().resolve("weights_flax.msgpack");
        Path plain = saved.resolve("plain");
        Path chunked = saved.resolve("chunked");
        Path zarr3 = saved.resolve("zarr3");
        Path ocdbt = saved.resolve("ocdbt");
        assertEquals(OrbaxLayout.ZARR2, Orbax.layout(plain));
        assertEquals(OrbaxLayout.ZARR2, Orbax.layout(chunked));
        assertEquals(OrbaxLayout.ZARR3, Orbax.layout(zarr3));
        assertEquals(OrbaxLayout.OCDBT, Orbax.layout(ocdbt));
        try (NamedTensors expected = FlaxMsgpack.read(msgpack)) {
            for (Path d : List.of(plain, chunked, zarr3, ocdbt)) {
                try (NamedTensors read = Orbax.read(Path.of(Orbax.PREFIX + d))) {
                    // orbax keeps no order of its own (its metadata lists leaves sorted), so compare by name.
                    OrbaxTest.assertSameTensors(new TreeMap<>(expected.tensors()), new TreeMap<>(read.tensors()));
                }
            }
        }
    }

    @Test
    void aDamagedOcdbtCheckpointIsOneErrorLineNamingItsFolder() throws IOException, InterruptedException {
        Path ocdbt = dir.resolve("ocdbt");
        try (Stream<Path> files = Files.walk(saved.resolve("ocdbt"))) {
            for (Path f : files.toList()) {
                Files.copy(f, ocdbt.resolve(saved.resolve("ocdbt").relativize(f).toString()));
            }
        }
        // Cut every data file of the store short: the manifest still lists the arrays, their bytes are gone.
        try (Stream<Path> files = Files.walk(ocdbt.resolve("ocdbt.process_0/d"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Files.write(f, Arrays.copyOf(Files.readAllBytes(f), 100));
            }
        }
        IOException e = assertThrows(IOException.class, () -> WeightFiles.read(Path.of(Orbax.PREFIX + ocdbt)).close());
        assertTrue(e.getMessage().startsWith(ocdbt + ": Python worker (backend jax) op aim4j.orbax_io:restore_op failed: "), e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
