package ai.aim4j.parity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.aim4j.model.Aim;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.weights.FlaxMsgpack;
import ai.aim4j.weights.WeightFiles;
import ai.aim4j.weights.WeightFormat;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every reader agrees bit for bit with every other on the official files, and our writers reproduce
 * them: the Flax msgpack we write is byte-identical to the one flax.serialization wrote.
 */
class FormatRoundTripTest {
    @TempDir
    Path dir;

    private static void assertSameTensors(NamedTensors expected, NamedTensors actual, String what) {
        assertEquals(expected.tensors().keySet(), actual.tensors().keySet(), what);
        for (var e : expected.tensors().entrySet()) {
            HostTensor a = actual.get(e.getKey());
            assertEquals(e.getValue().dtype(), a.dtype(), what + " " + e.getKey());
            assertArrayEquals(e.getValue().shape(), a.shape(), what + " " + e.getKey());
            assertArrayEquals(e.getValue().data().toArray(ValueLayout.JAVA_BYTE), a.data().toArray(ValueLayout.JAVA_BYTE), what + " " + e.getKey());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gray", "small-rgb"})
    void allOfficialFormatsHoldTheSameBits(String name) throws IOException {
        Path fx = Fixtures.shipped(name);
        try (NamedTensors st = WeightFiles.read(fx.resolve("weights.safetensors"));
             NamedTensors pth = WeightFiles.read(fx.resolve("weights.pth"));
             NamedTensors msgpack = WeightFiles.read(fx.resolve("weights_flax.msgpack"));
             NamedTensors npz = WeightFiles.read(fx.resolve("weights_flax.npz"))) {
            assertSameTensors(st, pth, "pth vs safetensors");
            // Flax has no num_batches_tracked: compare everything else, the counter reads back as 0.
            assertSameTensors(withoutCounter(st), withoutCounter(msgpack), "msgpack vs safetensors");
            assertSameTensors(withoutCounter(st), withoutCounter(npz), "npz vs safetensors");
        }
    }

    private static NamedTensors withoutCounter(NamedTensors t) {
        var m = new LinkedHashMap<>(t.tensors());
        m.remove("head.bn.num_batches_tracked");
        return NamedTensors.inMemory(m);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gray", "small-rgb"})
    void ourFlaxMsgpackIsByteIdenticalToFlaxs(String name) throws IOException {
        Path official = Fixtures.shipped(name).resolve("weights_flax.msgpack");
        Path ours = dir.resolve("ours.msgpack");
        try (NamedTensors t = WeightFiles.read(Fixtures.shipped(name).resolve("weights.pth"))) {
            WeightFiles.write(ours, WeightFormat.FLAX_MSGPACK, t.tensors(), new Aim(Fixtures.config(name), true));
        }
        assertArrayEquals(Files.readAllBytes(official), Files.readAllBytes(ours));
        // and the raw reader sees the layout of the fixture README
        try (NamedTensors raw = FlaxMsgpack.read(ours)) {
            long[] conv = name.equals("tiny-gray") ? new long[] {4, 4, 1, 64} : new long[] {8, 8, 3, 96}; // HWIO
            assertArrayEquals(conv, raw.get("params/preprocessor/patchifier/proj/kernel").shape());
            assertEquals(List.of("params", "batch_stats"), raw.tensors().keySet().stream().map(k -> k.split("/")[0]).distinct().toList());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gray", "small-rgb"})
    void convertingThroughEveryWritableFormatLosesNothing(String name) throws IOException {
        Path fx = Fixtures.shipped(name);
        Path st = dir.resolve("a.safetensors");
        Path mp = dir.resolve("b.msgpack");
        Path npz = dir.resolve("c.npz");
        Path back = dir.resolve("d.safetensors");
        Aim model = new Aim(Fixtures.config(name), true);
        try (NamedTensors t = WeightFiles.read(fx.resolve("weights.pth"))) {
            WeightFiles.write(st, WeightFormat.SAFETENSORS, t.tensors(), null);
        }
        try (NamedTensors t = WeightFiles.read(st)) {
            WeightFiles.write(mp, WeightFormat.FLAX_MSGPACK, t.tensors(), model);
        }
        try (NamedTensors t = WeightFiles.read(mp)) {
            WeightFiles.write(npz, WeightFormat.FLAX_NPZ, t.tensors(), model);
        }
        try (NamedTensors t = WeightFiles.read(npz)) {
            WeightFiles.write(back, WeightFormat.SAFETENSORS, t.tensors(), null);
        }
        try (NamedTensors a = WeightFiles.read(fx.resolve("weights.safetensors")); NamedTensors b = WeightFiles.read(back)) {
            assertSameTensors(withoutCounter(a), withoutCounter(b), "after pth -> safetensors -> msgpack -> npz -> safetensors");
        }
    }
}
