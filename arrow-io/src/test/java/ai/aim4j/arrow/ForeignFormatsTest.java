package ai.aim4j.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.arrow.source.ImageFolder;
import ai.aim4j.arrow.source.NpyImages;
import ai.aim4j.files.NpyHeader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data from elsewhere: Hugging Face save_to_disk folders, .npy exports and ImageFolder trees. */
class ForeignFormatsTest {
    @TempDir
    Path dir;

    private static byte[] png(int w, int h, int rgb) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb + x);
            }
        }
        var out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    /** Writes an Arrow IPC stream with Hugging Face's columns (image struct, label int64). */
    private static void writeHfStream(Path file, List<byte[]> images, long[] labels, int from, int to) throws IOException {
        Field bytes = new Field("bytes", FieldType.nullable(ArrowType.Binary.INSTANCE), null);
        Field path = new Field("path", FieldType.nullable(ArrowType.Utf8.INSTANCE), null);
        Schema schema = new Schema(List.of(new Field("image", FieldType.nullable(ArrowType.Struct.INSTANCE), List.of(bytes, path)),
                new Field("label", FieldType.nullable(new ArrowType.Int(64, true)), null)),
                Map.of("huggingface", "{\"info\": {\"features\": {}}}"));
        try (BufferAllocator a = new RootAllocator(); VectorSchemaRoot root = VectorSchemaRoot.create(schema, a);
             OutputStream os = Files.newOutputStream(file); ArrowStreamWriter w = new ArrowStreamWriter(root, null, os)) {
            w.start();
            // two record batches, as datasets writes them in chunks
            for (int[] range : new int[][] {{from, (from + to) / 2}, {(from + to) / 2, to}}) {
                root.allocateNew();
                StructVector image = (StructVector) root.getVector("image");
                BigIntVector label = (BigIntVector) root.getVector("label");
                for (int i = range[0]; i < range[1]; i++) {
                    int row = i - range[0];
                    ((VarBinaryVector) image.getChild("bytes")).setSafe(row, images.get(i));
                    ((VarCharVector) image.getChild("path")).setSafe(row, ("img" + i + ".png").getBytes(StandardCharsets.UTF_8));
                    image.setIndexDefined(row);
                    label.setSafe(row, labels[i]);
                }
                root.setRowCount(range[1] - range[0]);
                w.writeBatch();
            }
            w.end();
        }
    }

    @Test
    void readsAHuggingFaceSaveToDiskFolder() throws IOException {
        List<byte[]> images = new ArrayList<>();
        long[] labels = new long[12];
        for (int i = 0; i < 12; i++) {
            images.add(png(5 + i, 4, 0x102030 * (i + 1)));
            labels[i] = i % 3;
        }
        Path hf = dir.resolve("hf");
        Files.createDirectories(hf);
        writeHfStream(hf.resolve("data-00000-of-00002.arrow"), images, labels, 0, 6);
        writeHfStream(hf.resolve("data-00001-of-00002.arrow"), images, labels, 6, 12);
        Files.writeString(hf.resolve("state.json"), "{\"_data_files\": [{\"filename\": \"data-00000-of-00002.arrow\"},"
                + " {\"filename\": \"data-00001-of-00002.arrow\"}], \"_split\": \"train\"}");
        Files.writeString(hf.resolve("dataset_info.json"), "{\"features\": {\"image\": {\"_type\": \"Image\"},"
                + " \"label\": {\"names\": [\"cat\", \"dog\", \"eel\"], \"_type\": \"ClassLabel\"}}}");
        try (ShardSet set = ShardSet.open(hf)) {
            assertEquals(12, set.size());
            assertEquals(Encoding.ORIGINAL, set.encoding());
            assertEquals(List.of("cat", "dog", "eel"), set.info().classNames());
            for (int i = 0; i < 12; i++) {
                assertEquals(i, set.id(i));
                assertEquals(labels[i], set.label(i));
                byte[] got = set.encodedImage(i).toArray(ValueLayout.JAVA_BYTE);
                assertArrayEquals(images.get(i), got);
                assertEquals(5 + i, ImageIO.read(new ByteArrayInputStream(got)).getWidth());
            }
        }
    }

    @Test
    void importsNpyArraysInEveryLayout() throws IOException {
        int n = 5;
        int h = 3;
        int w = 5; // (N, 3, 3, 5) is unambiguous: a last dimension of 1, 3 or 4 would read as channels-last
        byte[] nhwc = new byte[n * h * w * 3];
        for (int i = 0; i < nhwc.length; i++) {
            nhwc[i] = (byte) (i * 13);
        }
        byte[] nchw = new byte[nhwc.length];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < h * w; p++) {
                for (int c = 0; c < 3; c++) {
                    nchw[((i * 3 + c) * h * w) + p] = nhwc[(i * h * w + p) * 3 + c];
                }
            }
        }
        Path a = write("nhwc.npy", "|u1", new long[] {n, h, w, 3}, nhwc);
        Path b = write("nchw.npy", "|u1", new long[] {n, 3, h, w}, nchw);
        byte[] lab = new byte[n * 8];
        ByteBuffer.wrap(lab).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().put(new long[] {4, 0, 2, 1, 3});
        Path l = write("labels.npy", "<i8", new long[] {n}, lab);
        for (Path images : List.of(a, b)) {
            Path out = dir.resolve("from-" + images.getFileName());
            try (NpyImages src = NpyImages.open(images, l, "train")) {
                DatasetWriter.write(src, out, 2, null, Map.of(), x -> { });
            }
            try (ShardSet set = ShardSet.open(out)) {
                assertArrayEquals(new int[] {h, w, 3}, set.rawShape());
                assertEquals(5, set.info().classNames().size());
                for (int i = 0; i < n; i++) {
                    assertEquals(new long[] {4, 0, 2, 1, 3}[i], set.label(i));
                    assertArrayEquals(Arrays.copyOfRange(nhwc, i * h * w * 3, (i + 1) * h * w * 3),
                            set.rawImage(i).toArray(ValueLayout.JAVA_BYTE), images.getFileName() + " image " + i);
                }
            }
        }
    }

    private Path write(String name, String descr, long[] shape, byte[] data) throws IOException {
        Path f = dir.resolve(name);
        byte[] header = NpyHeader.encode(descr, shape);
        byte[] all = Arrays.copyOf(header, header.length + data.length);
        System.arraycopy(data, 0, all, header.length, data.length);
        Files.write(f, all);
        return f;
    }

    @Test
    void shardsAnImageFolderKeepingTheFilesBytes() throws IOException {
        Path root = dir.resolve("folder");
        Files.createDirectories(root.resolve("b_zebra"));
        Files.createDirectories(root.resolve("a_ant"));
        Files.write(root.resolve("b_zebra/2.png"), png(3, 3, 0x00ff00));
        Files.write(root.resolve("b_zebra/1.png"), png(4, 3, 0xff0000));
        Files.write(root.resolve("a_ant/x.png"), png(2, 2, 0x0000ff));
        Files.writeString(root.resolve("a_ant/notes.txt"), "not an image");
        Path out = dir.resolve("out");
        try (ImageFolder src = new ImageFolder(root, "val")) {
            DatasetWriter.write(src, out, 1, null, Map.of(), x -> { });
        }
        try (ShardSet set = ShardSet.open(out)) {
            assertEquals(List.of("a_ant", "b_zebra"), set.info().classNames());
            assertEquals(3, set.size());
            assertEquals(0, set.label(0));
            assertEquals(1, set.label(1));
            assertArrayEquals(Files.readAllBytes(root.resolve("b_zebra/1.png")), set.encodedImage(1).toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
