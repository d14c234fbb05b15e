package ai.aim4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.files.NpyHeader;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.weights.Npy;
import ai.aim4j.weights.SafeTensors;
import ai.aim4j.weights.WeightFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.net.URISyntaxException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands end to end, in process: outputs, exit codes and error messages. */
class CliTest {
    @TempDir
    Path dir;


    private static CliRun run(String... args) {
        return CliRun.of(args);
    }

    private static Path fixture(String name) {
        try {
            return Path.of(CliTest.class.getResource("/fixtures/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void parityCheckPassesOnAFixtureAndFailsOnTamperedWeights() throws IOException {
        CliRun ok = run("parity", "check", fixture("tiny-gray").toString(), "--weights", fixture("tiny-gray").resolve("weights.safetensors").toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().contains("ALL PASS"), ok.out());
        // Same folder with one weight nudged by 1e-3: the check must notice and exit 1.
        Path copy = dir.resolve("tampered");
        Files.createDirectories(copy);
        for (String f : new String[] {"config.json", "inputs.npz", "outputs.npz", "prefix_outputs.npz"}) {
            Files.copy(fixture("tiny-gray").resolve(f), copy.resolve(f));
        }
        try (NamedTensors t = WeightFiles.read(fixture("tiny-gray").resolve("weights.safetensors"))) {
            var m = new LinkedHashMap<>(t.tensors());
            HostTensor w = m.get("trunk.blocks.1.mlp.fc2.weight");
            float[] v = w.data().toArray(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN));
            v[5] += 1e-3f;
            m.put("trunk.blocks.1.mlp.fc2.weight", HostTensor.ofFloats(w.shape(), v));
            SafeTensors.write(copy.resolve("weights.safetensors"), m, Map.of());
        }
        CliRun bad = run("parity", "check", copy.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.out().contains("FAIL"), bad.out());
        assertTrue(bad.out().contains("features_block_0") && bad.out().lines().filter(l -> l.contains("features_block_0")).allMatch(l -> l.endsWith("PASS")),
                "block 0 does not use the changed weight and must still pass");
    }

    @Test
    void inspectDescribesAnOfficialCheckpoint() {
        CliRun r = run("inspect", fixture("small-rgb").resolve("weights.pth").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("PTH"), r.out());
        assertTrue(r.out().contains("\"embed_dim\" : 96"), r.out());
        assertTrue(r.out().contains("\"num_classes\" : 7"), r.out());
        assertTrue(r.out().contains("trunk and probe head"), r.out());
    }

    @Test
    void convertMergesABackboneAndAHeadAndRefusesOverlaps() throws IOException {
        Path all = fixture("small-rgb").resolve("weights.safetensors");
        Path backbone = dir.resolve("backbone.safetensors");
        Path head = dir.resolve("head.safetensors");
        try (NamedTensors t = WeightFiles.read(all)) {
            var b = new LinkedHashMap<String, HostTensor>();
            var h = new LinkedHashMap<String, HostTensor>();
            t.tensors().forEach((k, v) -> (k.startsWith("head.") ? h : b).put(k, v));
            SafeTensors.write(backbone, b, Map.of());
            SafeTensors.write(head, h, Map.of());
        }
        Path merged = dir.resolve("merged.msgpack");
        CliRun r = run("convert", backbone.toString(), head.toString(), merged.toString());
        assertEquals(0, r.code(), r.err());
        CliRun check = run("parity", "check", fixture("small-rgb").toString(), "--weights", merged.toString());
        assertEquals(0, check.code(), check.out() + check.err());
        CliRun overlap = run("convert", all.toString(), head.toString(), dir.resolve("x.safetensors").toString());
        assertEquals(1, overlap.code());
        assertTrue(overlap.err().contains("is in both"), overlap.err());
        assertFalse(Files.exists(dir.resolve("x.safetensors")));
    }

    @Test
    void initWritesALoadableModelFromAPythonConfig() throws IOException {
        Path py = dir.resolve("exp.py");
        Files.writeString(py, """
                def get_config():
                    d = 32
                    return {"img_size": [16, 16], "patch_size": [4, 4], "num_channels": 3, "embed_dim": d,
                            "num_blocks": 2, "num_heads": d // 16, "probe_layers": [0, 1], "num_classes": 4}
                """);
        Path out = dir.resolve("init.safetensors");
        CliRun r = run("init", "--config", py.toString(), "--out", out.toString(), "--seed", "3");
        assertEquals(0, r.code(), r.err());
        CliRun inspect = run("inspect", out.toString());
        assertTrue(inspect.out().contains("\"embed_dim\" : 32"), inspect.out());
        // features on real image files, through the eval transform
        Path img = dir.resolve("red.png");
        Path img2 = dir.resolve("gradient.jpg");
        BufferedImage a = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        BufferedImage b = new BufferedImage(20, 50, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                a.setRGB(x, y, 0xff0000);
            }
        }
        for (int y = 0; y < 50; y++) {
            for (int x = 0; x < 20; x++) {
                b.setRGB(x, y, (x * 12) << 8 | y * 5);
            }
        }
        ImageIO.write(a, "png", img.toFile());
        ImageIO.write(b, "jpg", img2.toFile());
        Path feats = dir.resolve("feats");
        CliRun f = run("features", "--weights", out.toString(), "--out", feats.toString(), img.toString(), img2.toString());
        assertEquals(0, f.code(), f.err());
        HostTensor red = Npy.parse(feats.resolve("red.npy"), Files.readAllBytes(feats.resolve("red.npy")));
        assertEquals("[16, 32]", Arrays.toString(red.shape()));
        assertTrue(Arrays.stream(red.toDoubles()).allMatch(Double::isFinite));
    }

    @Test
    void shardsVerifiesAndDetectsCorruptionNamingTheShard() throws IOException {
        Path data = dir.resolve("synth");
        CliRun shard = run("shard", "--from", "synthetic:500,16", "--out", data.toString(), "--shards", "3");
        assertEquals(0, shard.code(), shard.err());
        assertEquals(0, run("data", "verify", data.toString()).code());
        CliRun order = run("data", "order", data.toString(), "--seed", "3", "--world", "2", "--rank", "1", "--limit", "7");
        assertEquals(7, order.out().lines().count());
        CliRun stats = run("data", "stats", data.toString());
        assertTrue(stats.out().contains("16 x 16 x 3"), stats.out());
        Path shard1 = data.resolve("shard-00001-of-00003.arrow");
        byte[] b = Files.readAllBytes(shard1);
        b[b.length / 3] ^= 1;
        Files.write(shard1, b);
        CliRun verify = run("data", "verify", data.toString());
        assertEquals(1, verify.code());
        assertTrue(verify.err().contains("shard-00001-of-00003.arrow"), verify.err());
        CliRun badSource = run("shard", "--from", "mnist:/x", "--out", dir.resolve("x").toString());
        assertEquals(1, badSource.code());
        assertTrue(badSource.err().contains("unknown source"), badSource.err());
    }

    /** NumPy arrays shard like any source, with or without a range (the source was once closed twice, failing a finished run). */
    @Test
    void shardsNumpyArrays() throws IOException {
        int n = 6;
        byte[] pixels = new byte[n * 4 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 7);
        }
        Path images = dir.resolve("x.npy");
        byte[] header = NpyHeader.encode("|u1", new long[] {n, 4, 4});
        byte[] file = Arrays.copyOf(header, header.length + pixels.length);
        System.arraycopy(pixels, 0, file, header.length, pixels.length);
        Files.write(images, file);
        for (String range : new String[] {null, "1:5"}) {
            Path out = dir.resolve("npy-" + (range == null ? "all" : "range"));
            CliRun shard = range == null ? run("shard", "--from", "npy:" + images, "--out", out.toString())
                    : run("shard", "--from", "npy:" + images, "--out", out.toString(), "--range", range);
            assertEquals(0, shard.code(), shard.err());
            CliRun stats = run("data", "stats", out.toString());
            assertTrue(stats.out().lines().anyMatch(l -> l.matches("rows +" + (range == null ? 6 : 4) + " in .*")), stats.out());
        }
    }

    @Test
    void evalReadsAnImageFolderDirectly() throws IOException {
        Path folder = dir.resolve("folder");
        for (int c = 0; c < 2; c++) {
            Files.createDirectories(folder.resolve("class" + c));
            for (int i = 0; i < 3; i++) {
                BufferedImage img = new BufferedImage(20, 24, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 24; y++) {
                    for (int x = 0; x < 20; x++) {
                        img.setRGB(x, y, c == 0 ? 0x102030 * (x % 4) : 0xff00 + y);
                    }
                }
                ImageIO.write(img, "png", folder.resolve("class" + c + "/" + i + ".png").toFile());
            }
        }
        Path model = dir.resolve("m.json");
        Files.writeString(model, "{\"img_size\": 16, \"patch_size\": 4, \"embed_dim\": 32, \"num_blocks\": 1, \"num_heads\": 2,"
                + " \"probe_layers\": [0], \"num_classes\": 2}");
        Path weights = dir.resolve("m.safetensors");
        assertEquals(0, run("init", "--config", model.toString(), "--out", weights.toString()).code());
        CliRun r = run("eval", "--weights", weights.toString(), "--model", model.toString(), "--data", "imagefolder:" + folder,
                "--out", dir.resolve("ev").toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("6 images"), r.out());
        assertTrue(Files.exists(dir.resolve("ev/eval.json")));
    }

    @Test
    void badInputGetsAClearErrorAndANonZeroExit() throws IOException {
        Path junk = dir.resolve("junk.safetensors");
        Files.write(junk, new byte[] {9, 0, 0, 0, 0, 0, 0, 0, '{'});
        CliRun r = run("inspect", junk.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(junk.toString()), r.err());
        CliRun missing = run("inspect", dir.resolve("nope.pth").toString());
        assertEquals(1, missing.code());
        assertTrue(missing.err().contains("nope.pth"), missing.err());
        CliRun flag = run("init", "--preset", "aim-600M", "--out", "x.safetensors", "--seed", "abc");
        assertEquals(2, flag.code());
        CliRun preset = run("init", "--preset", "aim-9B", "--out", dir.resolve("y.safetensors").toString());
        assertEquals(1, preset.code());
        assertTrue(preset.err().contains("unknown preset"), preset.err());
        CliRun wrongModel = run("features", "--weights", fixture("tiny-gray").resolve("weights.safetensors").toString(),
                "--preset", "aim-600M", dir.resolve("a.png").toString());
        assertEquals(1, wrongModel.code());
        assertTrue(wrongModel.err().contains("shape mismatch"), wrongModel.err());
        // An output whose name gives no format (it once read as a missing input: "no such file").
        Path weights = fixture("tiny-gray").resolve("weights.safetensors");
        Path txt = dir.resolve("out.txt");
        CliRun unnamed = run("convert", weights.toString(), txt.toString());
        assertEquals(1, unnamed.code());
        assertEquals("aim4j: error: " + txt + ": the name gives no weights format (name it .safetensors, .msgpack, .npz or orbax:DIR)",
                unnamed.err().strip());
        assertFalse(Files.exists(txt));
        CliRun layers = run("features", "--weights", weights.toString(), "--probe-layers", "1,x", dir.resolve("a.png").toString());
        assertEquals(1, layers.code());
        assertEquals("aim4j: error: probe layers '1,x': expected last, best or a comma list of block indices", layers.err().strip());
    }
}
