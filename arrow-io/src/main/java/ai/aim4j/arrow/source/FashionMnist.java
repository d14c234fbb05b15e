package ai.aim4j.arrow.source;

import ai.aim4j.arrow.DatasetInfo;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Fashion-MNIST from its IDX files ({@code train-images-idx3-ubyte.gz} and friends, gzipped or not),
 * as Debian's {@code dataset-fashion-mnist} installs them in {@link #DEFAULT_DIR}.
 */
public final class FashionMnist extends RawImageSource {
    public static final Path DEFAULT_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    public static final List<String> CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
            "Sneaker", "Bag", "Ankle boot");
    private static final int IMAGES_MAGIC = 2051;
    private static final int LABELS_MAGIC = 2049;

    private final byte[] pixels;
    private final byte[] labels;

    private FashionMnist(DatasetInfo info, byte[] pixels, byte[] labels, int rows, int cols) {
        super(info, labels.length, rows, cols, 1);
        this.pixels = pixels;
        this.labels = labels;
    }

    /** Reads split {@code train} or {@code test} (alias {@code t10k}) from {@code dir}. */
    public static FashionMnist open(Path dir, String split) throws IOException {
        String prefix = switch (split) {
            case "train" -> "train";
            case "test", "t10k" -> "t10k";
            default -> throw new IllegalArgumentException("Fashion-MNIST has splits train and test, not '" + split + "'");
        };
        Path images = find(dir, prefix + "-images-idx3-ubyte");
        Path labelFile = find(dir, prefix + "-labels-idx1-ubyte");
        int[] imageDims = new int[3];
        byte[] pixels = readIdx(images, IMAGES_MAGIC, imageDims);
        int[] labelDims = new int[1];
        byte[] labels = readIdx(labelFile, LABELS_MAGIC, labelDims);
        if (imageDims[0] != labelDims[0]) {
            throw new IOException(images + " holds " + imageDims[0] + " images but " + labelFile + " " + labelDims[0] + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= CLASSES.size()) {
                throw new IOException(labelFile + ": label " + labels[i] + " at index " + i + " is outside 0..9");
            }
        }
        return new FashionMnist(new DatasetInfo(CLASSES, split.equals("t10k") ? "test" : split, "fashion-mnist:" + dir),
                pixels, labels, imageDims[1], imageDims[2]);
    }

    private static Path find(Path dir, String stem) throws IOException {
        for (String name : new String[] {stem + ".gz", stem}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IOException(dir + ": no " + stem + "[.gz] (install Debian's dataset-fashion-mnist, or point fashion-mnist:DIR at the IDX files)");
    }

    /** Reads an IDX file of unsigned bytes; {@code dims} receives its dimensions. */
    private static byte[] readIdx(Path file, int magic, int[] dims) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
             DataInputStream data = new DataInputStream(in)) {
            int m = data.readInt();
            if (m != magic) {
                throw new IOException(file + ": IDX magic " + m + ", expected " + magic);
            }
            long total = 1;
            for (int i = 0; i < dims.length; i++) {
                dims[i] = data.readInt();
                total *= dims[i];
            }
            byte[] out = new byte[Math.toIntExact(total)];
            data.readFully(out);
            if (data.read() != -1) {
                throw new IOException(file + ": trailing bytes after " + total + " values");
            }
            return out;
        } catch (EOFException e) {
            throw new IOException(file + ": truncated IDX file", e);
        }
    }

    @Override
    public Sample get(long index) {
        int n = imageBytes();
        byte[] img = new byte[n];
        System.arraycopy(pixels, Math.toIntExact(index * n), img, 0, n);
        return new Sample(index, labels[(int) index], img, null);
    }
}
