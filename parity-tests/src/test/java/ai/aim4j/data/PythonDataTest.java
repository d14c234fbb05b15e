package ai.aim4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.transform.Image;
import ai.aim4j.arrow.transform.ImageDecoder;
import ai.aim4j.cli.CliRun;
import ai.aim4j.interop.worker.PythonEnvironment;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * aim4j's Python data API ({@code aim4j.data}) against the Java data layer: the orders of every rank
 * of several worlds, seeds and epochs against {@code aim4j data order}; the SplittableRandom port
 * against the JDK's on bounds that reject half their draws; the rows of raw, PNG and JPEG datasets
 * against {@link ShardSet} and the Java decoder; raw images as views of the mapped shard; a PyTorch
 * DataLoader over the dataset. Python runs for real in the bridge's environment.
 */
class PythonDataTest {
    @TempDir
    static Path dir;
    private static Path raw;
    private static Path png;
    private static Path folder;

    @BeforeAll
    static void datasets() throws IOException {
        raw = dir.resolve("raw");
        png = dir.resolve("png");
        folder = dir.resolve("folder");
        // 103 rows (prime: no world above 1 divides it), ids 37..139 (not the row indices), three shards.
        shard("--from", "synthetic:200,8", "--range", "37:140", "--out", raw.toString(), "--shards", "3");
        shard("--from", "synthetic:40,12", "--out", png.toString(), "--shards", "2", "--encode", "png");
        Path images = dir.resolve("images");
        SplittableRandom r = new SplittableRandom(5);
        int[] types = {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB, BufferedImage.TYPE_BYTE_INDEXED};
        for (int k = 0; k < 12; k++) {
            // PNGs of every kind the Java decoder distinguishes (gray, RGB, alpha, palette), JPEGs gray and RGB.
            boolean jpeg = k >= 8;
            int type = jpeg ? (k % 2 == 0 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB) : types[k % 4];
            BufferedImage img = new BufferedImage(13 + 4 * k, 9 + 3 * k, type);
            for (int y = 0; y < img.getHeight(); y++) {
                for (int x = 0; x < img.getWidth(); x++) {
                    int noise = r.nextInt(40);
                    img.setRGB(x, y, r.nextInt(256) << 24 | (7 * x + noise) % 256 << 16 | (11 * y + noise) % 256 << 8 | (x * y + noise) % 256);
                }
            }
            Path f = Files.createDirectories(images.resolve("class" + k % 3)).resolve("img" + k + (jpeg ? ".jpg" : ".png"));
            ImageIO.write(img, jpeg ? "jpg" : "png", f.toFile());
        }
        shard("--from", "imagefolder:" + images, "--out", folder.toString(), "--shards", "2");
    }

    private static void shard(String... args) {
        String[] command = Stream.concat(Stream.of("shard"), Arrays.stream(args)).toArray(String[]::new);
        CliRun run = CliRun.of(command);
        assertEquals(0, run.code(), run.err());
    }

    /** Runs a Python script in the bridge's environment and returns its standard output. */
    private static String python(String script, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("-c", script));
        command.addAll(List.of(args));
        Process p = PythonEnvironment.locate().process(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "python failed:\n" + out);
        return out;
    }

    @Test
    void everyRankOfEveryWorldGetsTheIdsDataOrderPrints() throws Exception {
        List<String> specs = new ArrayList<>();
        StringBuilder expected = new StringBuilder();
        for (long seed : new long[] {0, 7, -3, Long.MAX_VALUE}) {
            for (long epoch : new long[] {0, 1, 5}) {
                for (int world = 1; world <= 3; world++) {
                    for (int rank = 0; rank < world; rank++) {
                        specs.add(seed + " " + epoch + " " + rank + " " + world);
                        CliRun run = CliRun.of("data", "order", raw.toString(), "--seed", "" + seed, "--epoch", "" + epoch,
                                "--rank", "" + rank, "--world", "" + world);
                        assertEquals(0, run.code(), run.err());
                        expected.append(run.out().strip().replace('\n', ' ')).append('\n');
                    }
                }
            }
        }
        String got = python("""
                import sys
                from aim4j.data import ShardDataset, order
                ds = ShardDataset(sys.argv[1])
                for spec in sys.argv[2:]:
                    seed, epoch, rank, world = map(int, spec.split())
                    print(" ".join(map(str, order(ds, seed, epoch, rank, world))))
                """, Stream.concat(Stream.of(raw.toString()), specs.stream()).toArray(String[]::new));
        assertEquals(expected.toString(), got);
        // Each epoch's shares together are the ids 37..139 once each.
        String[] world3 = got.split("\n");
        long[] all = Stream.of(world3[3], world3[4], world3[5]).flatMap(l -> Arrays.stream(l.split(" "))).mapToLong(Long::parseLong).sorted().toArray();
        assertArrayEquals(LongStream.range(37, 140).toArray(), all);
    }

    @Test
    void theNextIntPortDrawsWhatTheJdkDrawsRejectionsIncluded() throws Exception {
        // 2^30 + 1 rejects about half its candidates (2^31 mod b = 2^30 - 1): 300 draws all accepted first
        // time has probability 2^-300, so the rejection loop runs, and the draws after it must still agree.
        int[] bounds = {1, 2, 3, 7, 1 << 30, (1 << 30) + 1, 1431655766, Integer.MAX_VALUE, Integer.MAX_VALUE - 1, 1_000_003, 1_500_000_000};
        StringBuilder expected = new StringBuilder();
        for (long seed : new long[] {0, 42, -1, Long.MIN_VALUE}) {
            SplittableRandom r = new SplittableRandom(seed);
            for (int k = 0; k < 300; k++) {
                for (int b : bounds) {
                    expected.append(r.nextInt(b)).append(' ');
                }
            }
            expected.append(r.nextInt()).append('\n'); // the generator ends where Java's does
        }
        String got = python("""
                import sys
                import numpy as np
                from aim4j.splittable import SplittableRandom
                bounds = np.array(sys.argv[1].split(","), dtype=np.int64)
                for seed in sys.argv[2:]:
                    r = SplittableRandom(int(seed))
                    draws = r.next_bounded(np.tile(bounds, 300))
                    print(" ".join(map(str, draws)) + " " + str(int(r.next_ints(1)[0])))
                """, String.join(",", Arrays.stream(bounds).mapToObj(String::valueOf).toList()), "0", "42", "-1", "" + Long.MIN_VALUE);
        assertEquals(expected.toString(), got);
    }

    @Test
    void aLargePermutationMatchesTheJavaSampler() throws Exception {
        // 300,000 rows: five of the port's 65,536-draw blocks and about 21 rejections (sum of b / 2^31).
        Path out = dir.resolve("perm.bin");
        python("""
                import sys
                from aim4j.sampler import permutation
                permutation(300_000, 11, 4).astype("<i8").tofile(sys.argv[1])
                """, out.toString());
        long[] got = new long[300_000];
        ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(got);
        assertArrayEquals(Arrays.stream(Sampler.permutation(300_000, 11, 4)).asLongStream().toArray(), got);
    }

    /** Python's rows of a dataset: "id label h w c" per row, and every row's pixels one after another. */
    private record Rows(List<long[]> meta, byte[] pixels) {}

    private static Rows pythonRows(Path dataset, boolean viaDataLoader) throws Exception {
        Path meta = dir.resolve(dataset.getFileName() + (viaDataLoader ? "-loader" : "") + ".txt");
        Path pixels = dir.resolve(dataset.getFileName() + (viaDataLoader ? "-loader" : "") + ".bin");
        python("""
                import sys
                from aim4j.data import ShardDataset
                ds = ShardDataset(sys.argv[1])
                if sys.argv[4] == "loader":
                    import torch
                    loader = torch.utils.data.DataLoader(ds, batch_size=16, num_workers=2)
                    items = [{"id": int(i), "label": int(l), "image": im.numpy()}
                             for b in loader for i, l, im in zip(b["id"], b["label"], b["image"])]
                else:
                    items = [ds[i] for i in range(len(ds))]
                with open(sys.argv[2], "w") as m, open(sys.argv[3], "wb") as p:
                    for it in items:
                        m.write("%d %d %d %d %d\\n" % (it["id"], it["label"], *it["image"].shape))
                        p.write(it["image"].tobytes())
                """, dataset.toString(), meta.toString(), pixels.toString(), viaDataLoader ? "loader" : "index");
        List<long[]> rows = Files.readAllLines(meta).stream().map(l -> Arrays.stream(l.split(" ")).mapToLong(Long::parseLong).toArray()).toList();
        return new Rows(rows, Files.readAllBytes(pixels));
    }

    /** Compares Python's rows with ShardSet's and the Java decoder's, exactly; returns how many rows were JPEGs. */
    private static int compare(Path dataset, Rows rows) throws IOException {
        int jpegs = 0;
        try (ShardSet set = ShardSet.open(dataset)) {
            assertEquals(set.size(), rows.meta().size());
            int at = 0;
            for (int i = 0; i < set.size(); i++) {
                byte[] want;
                int[] shape;
                if (set.rawShape() != null) {
                    want = set.rawImage(i).toArray(ValueLayout.JAVA_BYTE);
                    shape = set.rawShape();
                } else {
                    byte[] encoded = set.encodedImage(i).toArray(ValueLayout.JAVA_BYTE);
                    jpegs += (encoded[0] & 0xff) == 0xFF && (encoded[1] & 0xff) == 0xD8 ? 1 : 0;
                    Image img = ImageDecoder.decode(encoded);
                    want = img.pixels().toArray(ValueLayout.JAVA_BYTE);
                    shape = new int[] {img.height(), img.width(), img.channels()};
                }
                assertArrayEquals(new long[] {set.id(i), set.label(i), shape[0], shape[1], shape[2]}, rows.meta().get(i), dataset + " row " + i);
                assertArrayEquals(want, Arrays.copyOfRange(rows.pixels(), at, at + want.length), dataset + " row " + i);
                at += want.length;
            }
            assertEquals(rows.pixels().length, at);
        }
        return jpegs;
    }

    @Test
    void rawPngAndJpegRowsEqualTheJavaReaders() throws Exception {
        assertEquals(0, compare(raw, pythonRows(raw, false)));
        assertEquals(0, compare(png, pythonRows(png, false)));
        // JPEGs too, exactly: Pillow's libjpeg-turbo and ImageIO's libjpeg 6b share IJG's integer IDCT and
        // fancy upsampling (also measured identical for 4:2:2, 4:4:4, progressive and quality-50 files).
        assertEquals(4, compare(folder, pythonRows(folder, false)), "gray and RGB JPEGs among PNGs of four kinds");
    }

    @Test
    void aTorchDataLoaderWithWorkersDeliversTheRows() throws Exception {
        compare(raw, pythonRows(raw, true));
    }

    @Test
    void damagedDatasetsAreOneErrorNamingTheFile() throws Exception {
        Path noManifest = Files.createDirectories(dir.resolve("no-manifest"));
        Path badJson = copyOf(raw, "bad-json");
        Files.writeString(badJson.resolve("manifest.json"), "{\"shards\": [");
        Path missing = copyOf(raw, "missing");
        Path shard1 = Path.of("shard-00001-of-00003.arrow");
        Files.delete(missing.resolve(shard1));
        Path truncated = copyOf(raw, "truncated");
        byte[] bytes = Files.readAllBytes(truncated.resolve(shard1));
        Files.write(truncated.resolve(shard1), Arrays.copyOf(bytes, bytes.length - 100));
        Path garbage = copyOf(raw, "garbage");
        Files.write(garbage.resolve(shard1), new byte[bytes.length]);
        String out = python("""
                import sys
                from aim4j.data import ShardDataset, DatasetError
                for path in sys.argv[1:]:
                    try:
                        ShardDataset(path)
                        print("opened " + path)
                    except DatasetError as e:
                        print(e)
                """, noManifest.toString(), badJson.toString(), missing.toString(), truncated.toString(), garbage.toString());
        String[] lines = out.strip().split("\n");
        assertEquals(5, lines.length, out);
        assertEquals(noManifest + ": no manifest.json (not a sharded dataset, or an interrupted 'shard' run)", lines[0]);
        assertTrue(lines[1].startsWith(badJson.resolve("manifest.json") + ": unreadable manifest: "), lines[1]);
        assertEquals(missing.resolve(shard1) + ": shard listed in the manifest is missing", lines[2]);
        assertEquals(truncated.resolve(shard1) + ": " + (bytes.length - 100) + " bytes, the manifest says " + bytes.length
                + " (truncated or replaced)", lines[3]);
        assertTrue(lines[4].startsWith(garbage.resolve(shard1) + ": not a readable Arrow IPC file: "), lines[4]);
    }

    private static Path copyOf(Path dataset, String name) throws IOException {
        Path copy = Files.createDirectories(dir.resolve(name));
        try (Stream<Path> files = Files.list(dataset)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return copy;
    }

    @Test
    void rawImagesAreViewsOfTheMappedShard() throws Exception {
        // A copy of the dataset: bytes rewritten in its file must show through a view taken before.
        Path copy = copyOf(raw, "mapped");
        int row = 50;
        long offset;
        Path file;
        byte[] before;
        try (ShardSet set = ShardSet.open(copy)) {
            MemorySegment image = set.rawImage(row);
            before = image.toArray(ValueLayout.JAVA_BYTE);
            var shard = set.shards().stream().filter(s -> s.mapped().address() <= image.address()
                    && image.address() < s.mapped().address() + s.mapped().byteSize()).findFirst().orElseThrow();
            offset = image.address() - shard.mapped().address();
            file = shard.file();
        }
        String out = python("""
                import os, sys
                import numpy as np
                from aim4j.data import ShardDataset
                view = ShardDataset(sys.argv[1])[int(sys.argv[2])]["image"]
                before = view.copy()
                fd = os.open(sys.argv[3], os.O_RDWR)
                os.pwrite(fd, (255 - before).tobytes(), int(sys.argv[4]))
                os.close(fd)
                print(before.tobytes().hex())
                print(view.flags.writeable, view.flags.owndata, np.array_equal(view, 255 - before))
                """, copy.toString(), "" + row, file.toString(), "" + offset);
        String[] lines = out.strip().split("\n");
        assertEquals(HexFormat.of().formatHex(before), lines[0], "the view is row " + row + "'s image");
        assertEquals("False False True", lines[1], "read-only, not owning its memory, and showing the file's new bytes");
    }
}
