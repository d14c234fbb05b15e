package ai.aim4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .npz archives as np.savez and np.savez_compressed write them read back, and broken ones name the file. */
class NpzTest {
    @TempDir
    Path dir;

    @Test
    void readsStoredAndDeflatedArchives() throws IOException {
        HostTensor a = HostTensor.ofFloats(new long[] {2, 2}, new float[] {1, 2, 3, 4});
        HostTensor b = HostTensor.ofLongs(new long[] {3}, new long[] {7, 8, 9});
        Path stored = dir.resolve("stored.npz");
        SequencedMap<String, HostTensor> arrays = new LinkedHashMap<>();
        arrays.put("a", a);
        arrays.put("b", b);
        Npz.write(stored, arrays);
        Path deflated = dir.resolve("deflated.npz");
        Files.write(deflated, new RawZip().deflated("a.npy", Npy.toBytes(a)).deflated("b.npy", Npy.toBytes(b)).toBytes());
        for (Path f : new Path[] {stored, deflated}) {
            try (NamedTensors t = Npz.read(f)) {
                assertArrayEquals(new double[] {1, 2, 3, 4}, t.get("a").toDoubles());
                assertArrayEquals(new long[] {2, 2}, t.get("a").shape());
                assertArrayEquals(new double[] {7, 8, 9}, t.get("b").toDoubles());
            }
        }
    }

    @Test
    void reportsATruncatedArchiveWithItsName() throws IOException {
        Path f = dir.resolve("full.npz");
        SequencedMap<String, HostTensor> arrays = new LinkedHashMap<>();
        arrays.put("a", HostTensor.ofFloats(new long[] {64}, new float[64]));
        Npz.write(f, arrays);
        Path cut = dir.resolve("cut.npz");
        byte[] bytes = Files.readAllBytes(f);
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> Npz.read(cut));
        assertTrue(e.getMessage().startsWith(cut + ": not a readable zip archive"), e.getMessage());
    }
}
