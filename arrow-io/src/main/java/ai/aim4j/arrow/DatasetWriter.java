package ai.aim4j.arrow;

import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.arrow.source.ImageSource;
import ai.aim4j.arrow.source.Sample;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongConsumer;
import javax.imageio.ImageIO;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Shards a source: {@code N} files of consecutive samples, each written atomically, then the manifest.
 * An existing manifest is removed first, so an interrupted run leaves a folder readers refuse rather
 * than a manifest that describes other shards.
 */
public final class DatasetWriter {
    private DatasetWriter() {}

    /**
     * @param encodeAs RAW keeps pixels, PNG encodes raw sources losslessly; null keeps the source's
     * @param params   creation parameters recorded in the manifest
     * @param progress told the number of samples written so far
     */
    public static Manifest write(ImageSource source, Path dir, int shards, Encoding encodeAs, Map<String, Object> params,
                                 LongConsumer progress) throws IOException {
        long n = source.size();
        if (shards < 1 || shards > n) {
            throw new IllegalArgumentException("cannot split " + n + " samples into " + shards + " shards");
        }
        Encoding encoding = encodeAs == null ? source.encoding() : encodeAs;
        if ((encoding == Encoding.RAW || encoding == Encoding.FEATURES) && source.encoding() != encoding) {
            throw new IllegalArgumentException("raw encoding needs a raw source; " + source.info().source() + " holds encoded files");
        }
        int[] shape = source.rawShape();
        Schema schema = switch (encoding) {
            case RAW -> ShardSchema.raw(shape[0], shape[1], shape[2], source.info());
            case FEATURES -> ShardSchema.features(shape[0], shape[1], source.info());
            default -> ShardSchema.encoded(encoding, source.info());
        };
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve(Manifest.FILE));
        List<Manifest.Shard> written = new ArrayList<>();
        long done = 0;
        try (BufferAllocator allocator = new RootAllocator()) {
            for (int k = 0; k < shards; k++) {
                long from = n * k / shards;
                long to = n * (k + 1) / shards;
                long[] next = {from};
                long[] firstId = {-1};
                long[] count = {done};
                ShardWriter.Samples samples = () -> {
                    Sample s = source.get(next[0]++);
                    if (firstId[0] < 0) {
                        firstId[0] = s.id();
                    }
                    if (++count[0] % 1024 == 0) {
                        progress.accept(count[0]);
                    }
                    return encoding == Encoding.PNG && source.encoding() == Encoding.RAW ? png(s, shape) : s;
                };
                String name = String.format("shard-%05d-of-%05d.arrow", k, shards);
                ShardWriter.Written w = ShardWriter.write(dir.resolve(name), schema, to - from, samples, allocator);
                done = count[0];
                written.add(new Manifest.Shard(name, to - from, w.bytes(), w.sha256(), firstId[0]));
            }
        }
        progress.accept(done);
        Map<String, Object> createdBy = new LinkedHashMap<>(params);
        createdBy.put("tool", "aim4j shard");
        Manifest m = new Manifest(Integer.parseInt(ShardSchema.VERSION), source.info().split(), source.info().source(),
                encoding.name().toLowerCase(Locale.ROOT), encoding == Encoding.RAW || encoding == Encoding.FEATURES ? shape : null,
                source.info().classNames(), n, written, createdBy);
        m.write(dir);
        return m;
    }

    /** Encodes raw HWC pixels (1 or 3 channels) as PNG, losslessly. */
    static Sample png(Sample s, int[] shape) throws IOException {
        int h = shape[0];
        int w = shape[1];
        int c = shape[2];
        BufferedImage img = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException("PNG encoding supports 1 or 3 channels, not " + c);
        }
        byte[] px = s.image();
        int[] samples = new int[px.length];
        for (int i = 0; i < px.length; i++) {
            samples[i] = Byte.toUnsignedInt(px[i]);
        }
        // Raster bands are in R, G, B order whatever the storage order of the image type.
        img.getRaster().setPixels(0, 0, w, h, samples);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return new Sample(s.id(), s.label(), out.toByteArray(), null);
    }
}
