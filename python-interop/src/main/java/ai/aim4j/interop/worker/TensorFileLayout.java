package ai.aim4j.interop.worker;

import com.google.flatbuffers.FlatBufferBuilder;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.apache.arrow.flatbuf.Block;
import org.apache.arrow.flatbuf.Buffer;
import org.apache.arrow.flatbuf.Endianness;
import org.apache.arrow.flatbuf.Field;
import org.apache.arrow.flatbuf.FieldNode;
import org.apache.arrow.flatbuf.FixedSizeList;
import org.apache.arrow.flatbuf.Footer;
import org.apache.arrow.flatbuf.KeyValue;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.MetadataVersion;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.flatbuf.Schema;
import org.apache.arrow.flatbuf.Type;

/**
 * Where everything goes in a tensor file for a given set of tensor names, types and shapes (see
 * {@link TensorFile} for the format). The layout depends on nothing but those and the metadata, so a
 * writer that fills the same shapes again and again (a ring of batch slots) computes it once, writes
 * the {@linkplain #writeFrame frame} once per slot, and afterwards writes only tensor bytes into
 * {@link #tensor} slices.
 */
public final class TensorFileLayout {
    /** The alignment of the record batch's body and of every tensor's bytes in the file. */
    public static final int ALIGNMENT = 64;
    /** Field metadata holding the tensor's shape, {@code "d0,d1,..."} ({@code ""} for a scalar). */
    public static final String SHAPE_KEY = "aim4j.shape";

    static final byte[] MAGIC = {'A', 'R', 'R', 'O', 'W', '1', 0, 0};
    static final int CONTINUATION = 0xFFFFFFFF;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final SequencedMap<String, TensorSpec> tensors;
    private final Map<String, Long> offsets;
    private final byte[] head;
    private final long bodyStart;
    private final long bodyEnd;
    private final byte[] tail;

    private TensorFileLayout(SequencedMap<String, TensorSpec> tensors, Map<String, Long> offsets, byte[] head, long bodyStart,
                             long bodyEnd, byte[] tail) {
        this.tensors = tensors;
        this.offsets = offsets;
        this.head = head;
        this.bodyStart = bodyStart;
        this.bodyEnd = bodyEnd;
        this.tail = tail;
    }

    /** The layout of a file holding {@code tensors} (in this order) and the schema metadata {@code metadata}. */
    public static TensorFileLayout of(SequencedMap<String, TensorSpec> tensors, Map<String, String> metadata) {
        for (var e : tensors.entrySet()) {
            if (e.getValue().numel() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("tensor " + e.getKey() + " has " + e.getValue().numel()
                        + " elements; a tensor file holds at most " + Integer.MAX_VALUE + " per tensor (Arrow's list size)");
            }
        }
        byte[] schemaMessage = message(schemaMessageFlatbuffer(tensors, metadata), 8, 8);
        long batchOffset = MAGIC.length + schemaMessage.length;

        // The body: per tensor, the list's and the child's validity buffers (empty: nothing is null)
        // and the child's data, each tensor starting on an ALIGNMENT boundary.
        Map<String, Long> bodyOffsets = new LinkedHashMap<>();
        long at = 0;
        for (var e : tensors.entrySet()) {
            bodyOffsets.put(e.getKey(), at);
            at = align(at + e.getValue().byteSize());
        }
        long bodyLength = at;
        byte[] batchMessage = message(recordBatchFlatbuffer(tensors, bodyOffsets, bodyLength), batchOffset, ALIGNMENT);
        long bodyStart = batchOffset + batchMessage.length;

        byte[] footer = footerFlatbuffer(tensors, metadata, batchOffset, batchMessage.length, bodyLength);
        byte[] tail = new byte[8 + footer.length + 4 + 6];
        MemorySegment t = MemorySegment.ofArray(tail);
        t.set(INT, 0, CONTINUATION); // end-of-stream marker: readers walking the messages stop here
        MemorySegment.copy(footer, 0, t, ValueLayout.JAVA_BYTE, 8, footer.length);
        t.set(INT, 8 + footer.length, footer.length);
        MemorySegment.copy(MAGIC, 0, t, ValueLayout.JAVA_BYTE, 8 + footer.length + 4, 6);

        byte[] head = new byte[Math.toIntExact(bodyStart)];
        MemorySegment.copy(MAGIC, 0, MemorySegment.ofArray(head), ValueLayout.JAVA_BYTE, 0, MAGIC.length);
        System.arraycopy(schemaMessage, 0, head, MAGIC.length, schemaMessage.length);
        System.arraycopy(batchMessage, 0, head, Math.toIntExact(batchOffset), batchMessage.length);

        Map<String, Long> offsets = new LinkedHashMap<>();
        bodyOffsets.forEach((name, off) -> offsets.put(name, bodyStart + off));
        return new TensorFileLayout(Collections.unmodifiableSequencedMap(new LinkedHashMap<>(tensors)), Map.copyOf(offsets),
                head, bodyStart, bodyStart + bodyLength, tail);
    }

    /** The file's size in bytes. */
    public long size() {
        return bodyEnd + tail.length;
    }

    public SequencedMap<String, TensorSpec> tensors() {
        return tensors;
    }

    /** Where {@code name}'s bytes start in the file (a multiple of {@link #ALIGNMENT}). */
    public long offset(String name) {
        Long off = offsets.get(name);
        if (off == null) {
            throw new IllegalArgumentException("no tensor named " + name + " in this layout");
        }
        return off;
    }

    /**
     * Writes everything but the tensors' bytes into {@code file} ({@link #size()} bytes, e.g. a mapped
     * region): the messages, the footer, and zeros in the padding between tensors.
     */
    public void writeFrame(MemorySegment file) {
        if (file.byteSize() != size()) {
            throw new IllegalArgumentException("region of " + file.byteSize() + " bytes for a tensor file of " + size());
        }
        MemorySegment.copy(head, 0, file, ValueLayout.JAVA_BYTE, 0, head.length);
        long end = bodyStart;
        for (var e : tensors.entrySet()) {
            long start = offsets.get(e.getKey());
            file.asSlice(end, start - end).fill((byte) 0);
            end = start + e.getValue().byteSize();
        }
        file.asSlice(end, bodyEnd - end).fill((byte) 0);
        MemorySegment.copy(tail, 0, file, ValueLayout.JAVA_BYTE, bodyEnd, tail.length);
    }

    /**
     * Writes the messages and the footer into a fresh, empty file; the tensors' bytes and the padding
     * are left to the caller (the padding reads as zeros).
     */
    void writeFrame(FileChannel file) throws IOException {
        for (ByteBuffer b = ByteBuffer.wrap(head); b.hasRemaining(); ) {
            file.write(b, b.position());
        }
        for (ByteBuffer b = ByteBuffer.wrap(tail); b.hasRemaining(); ) {
            file.write(b, bodyEnd + b.position());
        }
    }

    /** The slice of {@code file} (the whole file's bytes) that holds {@code name}'s bytes. */
    public MemorySegment tensor(MemorySegment file, String name) {
        return file.asSlice(offset(name), tensors.get(name).byteSize());
    }

    static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    /**
     * An encapsulated IPC message (continuation marker, metadata length, flatbuffer, padding) that
     * starts at {@code offset} in the file and is padded to end on a multiple of {@code alignment}.
     */
    private static byte[] message(byte[] flatbuffer, long offset, int alignment) {
        long end = offset + 8 + flatbuffer.length;
        long padded = (end + alignment - 1) / alignment * alignment;
        byte[] out = new byte[Math.toIntExact(padded - offset)];
        MemorySegment m = MemorySegment.ofArray(out);
        m.set(INT, 0, CONTINUATION);
        m.set(INT, 4, out.length - 8);
        System.arraycopy(flatbuffer, 0, out, 8, flatbuffer.length);
        return out;
    }

    private static byte[] schemaMessageFlatbuffer(SequencedMap<String, TensorSpec> tensors, Map<String, String> metadata) {
        FlatBufferBuilder b = new FlatBufferBuilder();
        int schema = schema(b, tensors, metadata);
        Message.startMessage(b);
        Message.addVersion(b, MetadataVersion.V5);
        Message.addHeaderType(b, MessageHeader.Schema);
        Message.addHeader(b, schema);
        Message.addBodyLength(b, 0);
        b.finish(Message.endMessage(b));
        return b.sizedByteArray();
    }

    private static byte[] recordBatchFlatbuffer(SequencedMap<String, TensorSpec> tensors, Map<String, Long> bodyOffsets, long bodyLength) {
        FlatBufferBuilder b = new FlatBufferBuilder();
        List<String> names = new ArrayList<>(tensors.keySet());
        // Flatbuffer vectors of structs are written back to front.
        RecordBatch.startNodesVector(b, 2 * names.size());
        for (String name : names.reversed()) {
            FieldNode.createFieldNode(b, tensors.get(name).numel(), 0);
            FieldNode.createFieldNode(b, 1, 0);
        }
        int nodes = b.endVector();
        RecordBatch.startBuffersVector(b, 3 * names.size());
        for (String name : names.reversed()) {
            long off = bodyOffsets.get(name);
            Buffer.createBuffer(b, off, tensors.get(name).byteSize());
            Buffer.createBuffer(b, off, 0);
            Buffer.createBuffer(b, off, 0);
        }
        int buffers = b.endVector();
        RecordBatch.startRecordBatch(b);
        RecordBatch.addLength(b, 1);
        RecordBatch.addNodes(b, nodes);
        RecordBatch.addBuffers(b, buffers);
        int batch = RecordBatch.endRecordBatch(b);
        Message.startMessage(b);
        Message.addVersion(b, MetadataVersion.V5);
        Message.addHeaderType(b, MessageHeader.RecordBatch);
        Message.addHeader(b, batch);
        Message.addBodyLength(b, bodyLength);
        b.finish(Message.endMessage(b));
        return b.sizedByteArray();
    }

    private static byte[] footerFlatbuffer(SequencedMap<String, TensorSpec> tensors, Map<String, String> metadata, long batchOffset,
                                           int batchMetadataLength, long bodyLength) {
        FlatBufferBuilder b = new FlatBufferBuilder();
        int schema = schema(b, tensors, metadata);
        Footer.startRecordBatchesVector(b, 1);
        Block.createBlock(b, batchOffset, batchMetadataLength, bodyLength);
        int blocks = b.endVector();
        Footer.startFooter(b);
        Footer.addVersion(b, MetadataVersion.V5);
        Footer.addSchema(b, schema);
        Footer.addRecordBatches(b, blocks);
        b.finish(Footer.endFooter(b));
        return b.sizedByteArray();
    }

    private static int schema(FlatBufferBuilder b, SequencedMap<String, TensorSpec> tensors, Map<String, String> metadata) {
        int[] fields = new int[tensors.size()];
        int i = 0;
        for (var e : tensors.entrySet()) {
            fields[i++] = field(b, e.getKey(), e.getValue());
        }
        int fieldVector = Schema.createFieldsVector(b, fields);
        int meta = keyValues(b, metadata);
        Schema.startSchema(b);
        Schema.addEndianness(b, Endianness.Little);
        Schema.addFields(b, fieldVector);
        Schema.addCustomMetadata(b, meta);
        return Schema.endSchema(b);
    }

    /** A non-nullable {@code FixedSizeList<element>(numel)} field with the tensor's shape (and type where needed). */
    private static int field(FlatBufferBuilder b, String name, TensorSpec spec) {
        int itemName = b.createString("item");
        int itemType = ArrowElementTypes.writeType(b, spec.dtype());
        int noChildren = Field.createChildrenVector(b, new int[0]);
        Field.startField(b);
        Field.addName(b, itemName);
        Field.addNullable(b, false);
        Field.addTypeType(b, ArrowElementTypes.typeTag(spec.dtype()));
        Field.addType(b, itemType);
        Field.addChildren(b, noChildren);
        int item = Field.endField(b);

        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(SHAPE_KEY, shapeString(spec.shape()));
        ArrowElementTypes.declaredName(spec.dtype()).ifPresent(d -> meta.put(ArrowElementTypes.DTYPE_KEY, d));
        int fieldName = b.createString(name);
        int listType = FixedSizeList.createFixedSizeList(b, Math.toIntExact(spec.numel()));
        int children = Field.createChildrenVector(b, new int[] {item});
        int metaVector = keyValues(b, meta);
        Field.startField(b);
        Field.addName(b, fieldName);
        Field.addNullable(b, false);
        Field.addTypeType(b, Type.FixedSizeList);
        Field.addType(b, listType);
        Field.addChildren(b, children);
        Field.addCustomMetadata(b, metaVector);
        return Field.endField(b);
    }

    private static int keyValues(FlatBufferBuilder b, Map<String, String> map) {
        int[] kvs = new int[map.size()];
        int i = 0;
        for (var e : map.entrySet()) {
            int k = b.createString(e.getKey());
            int v = b.createString(e.getValue());
            kvs[i++] = KeyValue.createKeyValue(b, k, v);
        }
        return b.createVectorOfTables(kvs);
    }

    static String shapeString(long[] shape) {
        StringBuilder s = new StringBuilder();
        for (long d : shape) {
            s.append(s.isEmpty() ? "" : ",").append(d);
        }
        return s.toString();
    }
}
