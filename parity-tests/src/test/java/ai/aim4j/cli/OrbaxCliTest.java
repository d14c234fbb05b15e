package ai.aim4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.weights.OrbaxScript;
import ai.aim4j.weights.WeightFiles;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code aim4j convert} and {@code aim4j inspect} with orbax checkpoint folders, on the tiny-gray fixture. */
class OrbaxCliTest {
    @TempDir
    Path dir;

    private static Path fixture() {
        try {
            return Path.of(OrbaxCliTest.class.getResource("/fixtures/tiny-gray/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void convertingThroughAnOrbaxCheckpointLosesNothing() throws IOException {
        Path ckpt = dir.resolve("ckpt");
        Path back = dir.resolve("back.safetensors");
        CliRun to = CliRun.of("convert", fixture().resolve("weights.safetensors").toString(), "orbax:" + ckpt);
        assertEquals(0, to.code(), to.err());
        assertTrue(to.out().contains("ORBAX, 29 tensors"), to.out());
        CliRun from = CliRun.of("convert", "orbax:" + ckpt, back.toString());
        assertEquals(0, from.code(), from.err());
        try (NamedTensors a = WeightFiles.read(fixture().resolve("weights.safetensors")); NamedTensors b = WeightFiles.read(back)) {
            assertEquals(a.tensors().keySet(), b.tensors().keySet());
            for (var e : a.tensors().entrySet()) {
                HostTensor x = b.get(e.getKey());
                assertEquals(e.getValue().dtype(), x.dtype(), e.getKey());
                assertArrayEquals(e.getValue().shape(), x.shape(), e.getKey());
                // Flax has no BatchNorm batch counter: it reads back as 0, as from the official Flax files.
                byte[] expected = e.getKey().equals("head.bn.num_batches_tracked") ? new byte[8] : e.getValue().data().toArray(ValueLayout.JAVA_BYTE);
                assertArrayEquals(expected, x.data().toArray(ValueLayout.JAVA_BYTE), e.getKey());
            }
        }
    }

    @Test
    void inspectNamesTheLayoutOfBothKinds() throws IOException, InterruptedException {
        Path plain = dir.resolve("plain");
        Path ocdbt = dir.resolve("ocdbt");
        OrbaxScript.save(fixture().resolve("weights_flax.msgpack"), dir, "plain", plain.toString(), "ocdbt", ocdbt.toString());
        for (Path ckpt : List.of(plain, ocdbt)) {
            CliRun r = CliRun.of("inspect", "orbax:" + ckpt);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("format:      ORBAX"), r.out());
            assertTrue(r.out().contains("layout:      " + (ckpt == plain ? "plain (zarr v2" : "OCDBT")), r.out());
            assertTrue(r.out().contains("tensors:     29"), r.out());
            assertTrue(r.out().contains("\"embed_dim\" : 64"), r.out());
            assertTrue(r.out().contains("trunk and probe head"), r.out());
        }
    }

    @Test
    void aDamagedCheckpointGetsOneErrorLineAndNoOutput() throws IOException {
        Path ckpt = dir.resolve("ckpt");
        assertEquals(0, CliRun.of("convert", fixture().resolve("weights.safetensors").toString(), "orbax:" + ckpt).code());
        Path header = ckpt.resolve("params.trunk.layers_0.mlp.fc1.kernel/.zarray");
        Files.delete(header);
        Path out = dir.resolve("out.safetensors");
        CliRun r = CliRun.of("convert", "orbax:" + ckpt, out.toString());
        assertEquals(1, r.code());
        assertEquals(List.of("aim4j: error: " + header + ": is missing: array params/trunk/layers_0/mlp/fc1/kernel of _METADATA"
                + " has no zarr v2 header (a partial copy of the checkpoint?)"), r.err().lines().toList());
        assertFalse(Files.exists(out));
        try (var left = Files.list(dir)) {
            assertEquals(List.of(ckpt), left.toList(), "nothing but the checkpoint is in the folder");
        }
    }

    @Test
    void anOrbaxOutputNeverReplacesAnUnrelatedFolder() throws IOException {
        Path mine = dir.resolve("mine");
        Files.createDirectories(mine);
        Files.writeString(mine.resolve("notes.txt"), "keep me");
        CliRun r = CliRun.of("convert", fixture().resolve("weights.safetensors").toString(), "orbax:" + mine);
        assertEquals(1, r.code());
        assertEquals(List.of("aim4j: error: " + mine + ": is a folder holding files but no orbax checkpoint; refusing to replace it"),
                r.err().lines().toList());
        assertEquals("keep me", Files.readString(mine.resolve("notes.txt")));
    }
}
