package ai.aim4j.arrow;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.ForeignAllocation;
import org.apache.arrow.vector.VectorLoader;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * One Arrow IPC file, memory-mapped and read without copying: the whole file is wrapped in a single
 * {@link ArrowBuf} over the mapping, and every record batch's vectors are slices of it. Both IPC
 * layouts are read: the file format (aim4j's shards) and the stream format (Hugging Face
 * {@code datasets} cache and {@code save_to_disk} files); both are a sequence of messages, which is
 * walked from the start.
 */
public final class MappedShard implements AutoCloseable {
    private static final byte[] FILE_MAGIC = {'A', 'R', 'R', 'O', 'W', '1'};
    private static final int CONTINUATION = 0xFFFFFFFF;

    private final Path file;
    private final Arena arena;
    private final MemorySegment mapped;
    private final ArrowBuf whole;
    private final Schema schema;
    private final List<VectorSchemaRoot> batches = new ArrayList<>();
    private final long[] batchStart;
    private final long rows;

    private MappedShard(Path file, Arena arena, MemorySegment mapped, ArrowBuf whole, Schema schema, List<VectorSchemaRoot> batches) {
        this.file = file;
        this.arena = arena;
        this.mapped = mapped;
        this.whole = whole;
        this.schema = schema;
        this.batches.addAll(batches);
        this.batchStart = new long[batches.size() + 1];
        for (int i = 0; i < batches.size(); i++) {
            batchStart[i + 1] = batchStart[i] + batches.get(i).getRowCount();
        }
        this.rows = batchStart[batches.size()];
    }

    /** Maps and parses {@code file}; any structural damage is an {@link IOException} naming it. */
    public static MappedShard open(Path file, BufferAllocator allocator) throws IOException {
        Arena arena = Arena.ofShared();
        ArrowBuf whole = null;
        List<VectorSchemaRoot> batches = new ArrayList<>();
        try {
            MemorySegment seg;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            long size = seg.byteSize();
            whole = allocator.wrapForeignAllocation(new ForeignAllocation(size, seg.address()) {
                @Override
                protected void release0() {
                    // the arena unmaps the file when the shard closes
                }
            });
            long pos = 0;
            long end = size;
            if (startsWith(seg, FILE_MAGIC)) {
                // File format: magic, the message stream, footer, footer length, magic.
                if (size < 18 || !startsWith(seg.asSlice(size - 6), FILE_MAGIC)) {
                    throw new IOException("Arrow file without its closing magic (truncated)");
                }
                long footerLen = seg.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), size - 10);
                end = size - 10 - footerLen;
                if (footerLen <= 0 || end < 8) {
                    throw new IOException("Arrow file footer length " + footerLen + " does not fit the file");
                }
                pos = 8;
            }
            Schema schema = null;
            while (pos < end) {
                if (pos + 8 > end) {
                    throw new IOException("message header at byte " + pos + " runs past the end of the messages (truncated)");
                }
                int first = seg.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos);
                long metaLen;
                long metaStart;
                if (first == CONTINUATION) {
                    metaLen = Integer.toUnsignedLong(seg.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos + 4));
                    metaStart = pos + 8;
                } else {
                    metaLen = Integer.toUnsignedLong(first); // streams before Arrow 0.15 have no continuation marker
                    metaStart = pos + 4;
                }
                if (metaLen == 0) {
                    break; // end-of-stream marker
                }
                if (metaStart + metaLen > end) {
                    throw new IOException("message metadata at byte " + metaStart + " runs past the end of the messages (truncated)");
                }
                Message msg = Message.getRootAsMessage(seg.asSlice(metaStart, metaLen).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
                long bodyStart = metaStart + metaLen;
                long bodyLen = msg.bodyLength();
                if (bodyLen < 0 || bodyStart + bodyLen > end) {
                    throw new IOException("message body at byte " + bodyStart + " (" + bodyLen + " bytes) runs past the end of the messages (truncated)");
                }
                switch (msg.headerType()) {
                    case MessageHeader.Schema -> schema = MessageSerializer.deserializeSchema(msg);
                    case MessageHeader.RecordBatch -> {
                        if (schema == null) {
                            throw new IOException("record batch before the schema");
                        }
                        ArrowBuf body = whole.slice(bodyStart, bodyLen);
                        int before = whole.refCnt();
                        int taken;
                        try (ArrowRecordBatch rb = MessageSerializer.deserializeRecordBatch(msg, body)) {
                            VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                            batches.add(root);
                            int loadedFrom = whole.refCnt();
                            new VectorLoader(root).load(rb);
                            taken = whole.refCnt() - loadedFrom;
                        }
                        // Arrow's deserializer and its batch's close do not balance on a shared parent
                        // buffer: top the count up so that the vectors' own releases bring it back.
                        int missing = taken - (whole.refCnt() - before);
                        if (missing > 0) {
                            whole.getReferenceManager().retain(missing);
                        }
                    }
                    case MessageHeader.DictionaryBatch -> throw new IOException("dictionary-encoded columns are not supported");
                    default -> throw new IOException("unexpected IPC message type " + msg.headerType());
                }
                pos = bodyStart + bodyLen;
            }
            if (schema == null) {
                throw new IOException("no schema message");
            }
            return new MappedShard(file, arena, seg, whole, schema, batches);
        } catch (IOException | RuntimeException e) {
            batches.forEach(VectorSchemaRoot::close);
            if (whole != null) {
                releaseWhole(whole);
            }
            arena.close();
            throw e instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith(file.toString()) ? io
                    : new IOException(file + ": not a readable Arrow IPC file: " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()), e);
        }
    }

    private static boolean startsWith(MemorySegment seg, byte[] magic) {
        if (seg.byteSize() < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if (seg.get(ValueLayout.JAVA_BYTE, i) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    public Path file() {
        return file;
    }

    public Schema schema() {
        return schema;
    }

    public long rows() {
        return rows;
    }

    /** The record batches, in file order. */
    public List<VectorSchemaRoot> batches() {
        return batches;
    }

    /** The batch holding {@code row}, as {@code (batch index, row within it)}. */
    public long[] locate(long row) {
        int lo = 0;
        int hi = batches.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (batchStart[mid] <= row) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return new long[] {lo, row - batchStart[lo]};
    }

    /** The mapped bytes of the whole file. */
    public MemorySegment mapped() {
        return mapped;
    }

    @Override
    public void close() {
        batches.forEach(VectorSchemaRoot::close);
        releaseWhole(whole);
        arena.close();
    }

    /** Drops the file-wide buffer's own reference (the vectors hold theirs until they close). */
    private static void releaseWhole(ArrowBuf whole) {
        if (whole.refCnt() > 0) {
            whole.close();
        }
    }
}
