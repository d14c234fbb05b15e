package ai.aim4j.arrow;

import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.arrow.source.Sample;
import ai.aim4j.files.AtomicFiles;
import ai.aim4j.files.Sha256;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.StructVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes one shard: an Arrow IPC file of record batches of up to {@value #BATCH_ROWS} rows, written
 * atomically, its SHA-256 computed on the way out.
 */
public final class ShardWriter {
    /** Rows per record batch: small enough to stream, large enough that batch overhead is nil. */
    public static final int BATCH_ROWS = 1024;

    /** What a written shard turned out to be. */
    public record Written(long bytes, String sha256) {}

    private ShardWriter() {}

    /** Produces the samples of a shard in order, one at a time. */
    @FunctionalInterface
    public interface Samples {
        Sample next() throws IOException;
    }

    /**
     * Writes {@code count} samples pulled from {@code samples}, one record batch in memory at a time
     * (a shard of any size streams through).
     */
    public static Written write(Path file, Schema schema, long count, Samples samples, BufferAllocator allocator) throws IOException {
        Encoding encoding = Encoding.valueOf(schema.getCustomMetadata().get(ShardSchema.META_ENCODING).toUpperCase(Locale.ROOT));
        MessageDigest sha = Sha256.newDigest();
        long[] bytes = {0};
        AtomicFiles.write(file, ch -> {
            WritableByteChannel hashing = hashing(ch, sha, bytes);
            try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                 ArrowFileWriter writer = new ArrowFileWriter(root, null, hashing)) {
                writer.start();
                for (long start = 0; start < count; start += BATCH_ROWS) {
                    List<Sample> batch = new ArrayList<>(BATCH_ROWS);
                    for (long i = start; i < Math.min(count, start + BATCH_ROWS); i++) {
                        batch.add(samples.next());
                    }
                    fill(root, batch, encoding);
                    writer.writeBatch();
                }
                writer.end();
            }
        });
        return new Written(bytes[0], Sha256.hex(sha));
    }

    private static void fill(VectorSchemaRoot root, List<Sample> batch, Encoding encoding) {
        root.allocateNew();
        BigIntVector id = (BigIntVector) root.getVector(ShardSchema.ID);
        IntVector label = (IntVector) root.getVector(ShardSchema.LABEL);
        for (int i = 0; i < batch.size(); i++) {
            Sample s = batch.get(i);
            id.setSafe(i, s.id());
            label.setSafe(i, s.label());
            if (encoding == Encoding.RAW || encoding == Encoding.FEATURES) {
                FixedSizeBinaryVector image = (FixedSizeBinaryVector) root.getVector(encoding == Encoding.RAW ? ShardSchema.IMAGE : ShardSchema.FEATURES);
                if (s.image().length != image.getByteWidth()) {
                    throw new IllegalArgumentException("sample " + s.id() + " has " + s.image().length + " pixel bytes, the shard's images have "
                            + image.getByteWidth());
                }
                image.setSafe(i, s.image());
            } else {
                StructVector image = (StructVector) root.getVector(ShardSchema.IMAGE);
                VarBinaryVector bytes = (VarBinaryVector) image.getChild(ShardSchema.IMAGE_BYTES);
                VarCharVector path = (VarCharVector) image.getChild(ShardSchema.IMAGE_PATH);
                bytes.setSafe(i, s.image());
                if (s.path() != null) {
                    path.setSafe(i, s.path().getBytes(StandardCharsets.UTF_8));
                } else {
                    path.setNull(i);
                }
                image.setIndexDefined(i);
            }
        }
        root.setRowCount(batch.size());
    }

    private static WritableByteChannel hashing(FileChannel ch, MessageDigest sha, long[] bytes) {
        return new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) throws IOException {
                ByteBuffer view = src.duplicate();
                int n = ch.write(src);
                view.limit(view.position() + n);
                sha.update(view);
                bytes[0] += n;
                return n;
            }

            @Override
            public boolean isOpen() {
                return ch.isOpen();
            }

            @Override
            public void close() {
                // the atomic writer closes the file
            }
        };
    }
}
