package ai.aim4j.arrow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.arrow.source.ImageSource;
import ai.aim4j.arrow.source.Sample;
import ai.aim4j.arrow.source.Synthetic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Damaged datasets are detected and the failing file named; nothing half-written is accepted. */
class CorruptionTest {
    @TempDir
    Path dir;
    Path data;

    @BeforeEach
    void shard() throws IOException {
        data = dir.resolve("data");
        DatasetWriter.write(new Synthetic(300, 16, 1, "train"), data, 3, null, Map.of(), n -> { });
    }

    private Path shard(int k) {
        return data.resolve(String.format("shard-%05d-of-%05d.arrow", k, 3));
    }

    @Test
    void aFlippedByteFailsVerificationNamingTheShard() throws IOException {
        assertTrue(ShardSet.verify(data).isEmpty());
        byte[] b = Files.readAllBytes(shard(1));
        b[b.length / 2] ^= 0x40;
        Files.write(shard(1), b);
        List<String> problems = ShardSet.verify(data);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().contains("shard-00001-of-00003.arrow") && problems.getFirst().contains("SHA-256"), problems.toString());
    }

    @Test
    void aTruncatedShardIsRefusedAtOpen() throws IOException {
        byte[] b = Files.readAllBytes(shard(2));
        Files.write(shard(2), Arrays.copyOf(b, b.length - 100));
        IOException e = assertThrows(IOException.class, () -> ShardSet.open(data).close());
        assertTrue(e.getMessage().contains("shard-00002-of-00003.arrow"), e.getMessage());
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertFalse(ShardSet.verify(data).isEmpty());
    }

    @Test
    void aTruncatedArrowFileWithoutManifestIsRefused() throws IOException {
        byte[] b = Files.readAllBytes(shard(0));
        Path lone = dir.resolve("lone.arrow");
        for (int cut : new int[] {b.length - 3, b.length / 2, 40, 7}) {
            Files.write(lone, Arrays.copyOf(b, cut));
            IOException e = assertThrows(IOException.class, () -> ShardSet.open(lone).close(), "cut at " + cut);
            assertTrue(e.getMessage().startsWith(lone.toString()), e.getMessage());
        }
    }

    @Test
    void aFolderWithoutManifestIsNotADataset() throws IOException {
        Files.delete(data.resolve(Manifest.FILE));
        IOException e = assertThrows(IOException.class, () -> ShardSet.verify(data));
        assertTrue(e.getMessage().contains("interrupted"), e.getMessage());
    }

    @Test
    void reShardingRemovesTheOldManifestFirst() throws IOException {
        // A source that fails half-way: the folder must not keep a manifest describing other shards.
        Synthetic good = new Synthetic(300, 16, 1, "train");
        var failing = new ImageSource() {
            public DatasetInfo info() {
                return good.info();
            }

            public long size() {
                return 300;
            }

            public ShardSchema.Encoding encoding() {
                return ShardSchema.Encoding.RAW;
            }

            public int[] rawShape() {
                return good.rawShape();
            }

            public Sample get(long i) throws IOException {
                if (i == 200) {
                    throw new IOException("disk on fire");
                }
                return good.get(i);
            }
        };
        assertThrows(IOException.class, () -> DatasetWriter.write(failing, data, 3, null, Map.of(), n -> { }));
        assertFalse(Files.exists(data.resolve(Manifest.FILE)));
        try (var files = Files.list(data)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "no temporary shard may remain");
        }
    }
}
