package ai.aim4j.bench;

import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.source.FashionMnist;
import ai.aim4j.arrow.source.ImageFolder;
import ai.aim4j.arrow.source.ImageSource;
import ai.aim4j.arrow.source.RawImageSource;
import ai.aim4j.arrow.source.Sample;
import ai.aim4j.arrow.source.Synthetic;
import ai.aim4j.arrow.transform.Normalization;
import ai.aim4j.arrow.transform.PretrainTransform;
import ai.aim4j.arrow.transform.ToTensor;
import ai.aim4j.files.FileTrees;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;

/** Prepares the two datasets of {@code aim4j bench data} in a temporary folder and measures them. */
public final class DataBenchRunner {
    private DataBenchRunner() {}

    /**
     * Fashion-MNIST's raw training images ({@code fmnistDir}, or synthetic ones where it is absent) and
     * 224 px JPEGs with the pre-training transform, each on one thread and on every core, {@code
     * batches} timed batches (a twentieth of them for the JPEGs); a line each to {@code out}.
     */
    public static void run(Path fmnistDir, int batches, PrintStream out) throws IOException {
        Path tmp = Files.createTempDirectory("aim4j-bench-data");
        int cores = Runtime.getRuntime().availableProcessors();
        try {
            Path dir = fmnistDir != null ? fmnistDir : FashionMnist.DEFAULT_DIR;
            Path raw = tmp.resolve("raw");
            String rawName;
            try (ImageSource src = Files.isDirectory(dir) ? FashionMnist.open(dir, "train") : grayscale(new Synthetic(60000, 28, 0, "train"))) {
                rawName = Files.isDirectory(dir) ? "Fashion-MNIST raw 28x28, no transform" : "synthetic raw 28x28, no transform";
                DatasetWriter.write(src, raw, 4, null, Map.of(), n -> { });
            }
            Path jpeg = jpegDataset(tmp, 512);
            try (ShardSet r = ShardSet.open(raw); ShardSet j = ShardSet.open(jpeg)) {
                ToTensor toTensor = new ToTensor(28, 28, Normalization.imagenetFor(1));
                PretrainTransform aug = new PretrainTransform(224, Normalization.IMAGENET, false);
                for (int threads : new int[] {1, cores}) {
                    DataBench.run(rawName, r, toTensor, 256, threads, batches).print(out);
                }
                for (int threads : new int[] {1, cores}) {
                    DataBench.run("JPEG 224x224, pre-training transform", j, aug, 32, threads, Math.max(4, batches / 20)).print(out);
                }
            }
        } finally {
            FileTrees.delete(tmp);
        }
    }

    /** The synthetic images as one gray channel, standing in for Fashion-MNIST when it is not installed. */
    private static ImageSource grayscale(Synthetic s) {
        return new RawImageSource(s.info(), s.size(), 28, 28, 1) {
            @Override
            public Sample get(long i) {
                Sample rgb = s.get(i);
                byte[] g = new byte[28 * 28];
                for (int p = 0; p < g.length; p++) {
                    g[p] = rgb.image()[3 * p];
                }
                return new Sample(rgb.id(), rgb.label(), g, null);
            }
        };
    }

    /** An aim4j dataset {@code tmp/jpeg} of {@code images} generated 224 px JPEGs (their files in {@code tmp/jpeg-files}). */
    static Path jpegDataset(Path tmp, int images) throws IOException {
        Path files = tmp.resolve("jpeg-files");
        writeJpegFolder(files, images);
        Path shards = tmp.resolve("jpeg");
        try (ImageSource src = new ImageFolder(files, "train")) {
            // Two shards, or one for a single image (a shard holds at least one).
            DatasetWriter.write(src, shards, Math.min(2, images), null, Map.of(), n -> { });
        }
        return shards;
    }

    /** {@code count} synthetic 224x224 RGB images as JPEG files in class folders, an image folder of the size AIM trains on. */
    static void writeJpegFolder(Path root, int count) throws IOException {
        Synthetic s = new Synthetic(count, 224, 0, "train");
        for (int i = 0; i < count; i++) {
            Sample sample = s.get(i);
            Path dir = root.resolve("class" + sample.label());
            Files.createDirectories(dir);
            BufferedImage img = new BufferedImage(224, 224, BufferedImage.TYPE_3BYTE_BGR);
            int[] px = new int[sample.image().length];
            for (int k = 0; k < px.length; k++) {
                px[k] = Byte.toUnsignedInt(sample.image()[k]);
            }
            img.getRaster().setPixels(0, 0, 224, 224, px);
            ImageIO.write(img, "jpg", dir.resolve(i + ".jpg").toFile());
        }
    }
}
