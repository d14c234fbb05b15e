package ai.aim4j.interop.worker;

import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import java.util.function.IntFunction;
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
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.flatbuf.Schema;
import org.apache.arrow.flatbuf.Type;

/**
 * Named tensors in one Arrow IPC file, the format tensors cross between the JVM and Python in: one
 * record batch of one row, one non-nullable {@code FixedSizeList<element>(numel)} field per tensor
 * (field metadata {@code aim4j.shape}, and {@code aim4j.dtype} for bool and bfloat16), free
 * string metadata on the schema. Unlike Arrow's own writers (8 bytes), every tensor's bytes start on a
 * 64-byte boundary of the file, so a memory map hands NumPy arrays that JAX on the CPU can alias.
 * Any Arrow reader reads these files; {@link #read} reads any Arrow file of that shape.
 */
public final class TensorFile {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private TensorFile() {}

    /**
     * Writes {@code tensors} (in this order) and {@code metadata} to {@code file} atomically; each
     * tensor's bytes are copied once, straight from its memory into the file.
     */
    public static void write(Path file, SequencedMap<String, HostTensor> tensors, Map<String, String> metadata) throws IOException {
        SequencedMap<String, TensorSpec> specs = new LinkedHashMap<>();
        tensors.forEach((name, t) -> specs.put(name, TensorSpec.of(t)));
        TensorFileLayout layout = TensorFileLayout.of(specs, metadata);
        AtomicFiles.write(file, ch -> {
            layout.writeFrame(ch);
            for (var e : tensors.entrySet()) {
                writeFully(ch, e.getValue().data(), layout.offset(e.getKey()));
            }
        });
    }

    private static void writeFully(FileChannel ch, MemorySegment data, long position) throws IOException {
        for (long done = 0; done < data.byteSize(); ) {
            // a ByteBuffer spans at most 2 GiB
            ByteBuffer chunk = data.asSlice(done, Math.min(data.byteSize() - done, 1L << 30)).asByteBuffer();
            while (chunk.hasRemaining()) {
                done += ch.write(chunk, position + done);
            }
        }
    }

    /**
     * Maps {@code file} and returns its tensors as slices of the mapping (no copy) with the schema's
     * metadata; closing the result unmaps the file. Damage or an unexpected layout is an
     * {@link IOException} naming the file and the problem.
     */
    public static NamedTensors read(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapped;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            }
            return parse(mapped, arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw new IOException(file + ": not a readable tensor file: " + e.getMessage(), e);
        }
    }

    private static NamedTensors parse(MemorySegment file, Arena arena) throws IOException {
        long size = file.byteSize();
        MemorySegment magic = MemorySegment.ofArray(Arrays.copyOf(TensorFileLayout.MAGIC, 6));
        if (size < 8 + 10) {
            throw new IOException("too short for an Arrow file (" + size + " bytes)");
        }
        if (file.asSlice(0, 6).mismatch(magic) != -1 || file.asSlice(size - 6, 6).mismatch(magic) != -1) {
            throw new IOException("no Arrow file magic at its start and end (not an Arrow IPC file, or truncated)");
        }
        long footerLength = Integer.toUnsignedLong(file.get(INT, size - 10));
        long footerStart = size - 10 - footerLength;
        if (footerLength == 0 || footerStart < 8) {
            throw new IOException("footer length " + footerLength + " does not fit the file");
        }
        Footer footer = Footer.getRootAsFooter(buffer(file, footerStart, footerLength));
        Schema schema = footer.schema();
        if (schema == null) {
            throw new IOException("the footer has no schema");
        }
        if (schema.endianness() != Endianness.Little) {
            throw new IOException("big-endian data is not supported");
        }
        if (footer.recordBatchesLength() != 1) {
            throw new IOException("holds " + footer.recordBatchesLength() + " record batches, a tensor file has one");
        }
        Block block = footer.recordBatches(0);
        long metaStart = block.offset();
        long bodyStart = metaStart + block.metaDataLength();
        long bodyLength = block.bodyLength();
        if (metaStart < 8 || block.metaDataLength() < 8 || bodyLength < 0 || bodyStart + bodyLength > footerStart) {
            throw new IOException("record batch block (offset " + metaStart + ", " + block.metaDataLength() + " + " + bodyLength
                    + " bytes) does not fit the file");
        }
        if (file.get(INT, metaStart) != TensorFileLayout.CONTINUATION) {
            throw new IOException("no IPC message at byte " + metaStart);
        }
        long flatLength = Integer.toUnsignedLong(file.get(INT, metaStart + 4));
        if (8 + flatLength > block.metaDataLength()) {
            throw new IOException("record batch metadata at byte " + metaStart + " overruns its block");
        }
        Message message = Message.getRootAsMessage(buffer(file, metaStart + 8, flatLength));
        if (message.headerType() != MessageHeader.RecordBatch) {
            throw new IOException("the footer's block at byte " + metaStart + " is not a record batch");
        }
        RecordBatch batch = (RecordBatch) message.header(new RecordBatch());
        if (batch.compression() != null) {
            throw new IOException("compressed record batches are not supported");
        }
        if (batch.length() != 1) {
            throw new IOException("record batch of " + batch.length() + " rows, a tensor file has one");
        }
        int fields = schema.fieldsLength();
        if (batch.nodesLength() != 2 * fields || batch.buffersLength() != 3 * fields) {
            throw new IOException("record batch has " + batch.nodesLength() + " nodes and " + batch.buffersLength()
                    + " buffers, " + fields + " fixed-size-list fields need " + 2 * fields + " and " + 3 * fields);
        }
        MemorySegment body = file.asSlice(bodyStart, bodyLength);
        SequencedMap<String, HostTensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < fields; i++) {
            Field field = schema.fields(i);
            String name = field.name();
            try {
                tensors.put(name, tensor(field, batch, i, body));
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new IOException("tensor " + name + ": " + e.getMessage(), e);
            }
        }
        if (tensors.size() != fields) {
            throw new IOException("two fields share a name");
        }
        return new NamedTensors(tensors, keyValues(schema.customMetadataLength(), schema::customMetadata), arena::close);
    }

    private static HostTensor tensor(Field field, RecordBatch batch, int i, MemorySegment body) {
        if (field.typeType() != Type.FixedSizeList || field.childrenLength() != 1) {
            throw new IllegalArgumentException("field of Arrow type " + Type.name(field.typeType()) + ", a tensor is a fixed-size list");
        }
        long numel = ((FixedSizeList) field.type(new FixedSizeList())).listSize();
        Map<String, String> meta = keyValues(field.customMetadataLength(), field::customMetadata);
        DType dtype = ArrowElementTypes.read(field.children(0), meta.get(ArrowElementTypes.DTYPE_KEY));
        long[] shape = meta.containsKey(TensorFileLayout.SHAPE_KEY) ? parseShape(meta.get(TensorFileLayout.SHAPE_KEY)) : new long[] {numel};
        if (HostTensor.numel(shape) != numel) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " does not hold the list's " + numel + " elements");
        }
        FieldNode list = batch.nodes(2 * i);
        FieldNode items = batch.nodes(2 * i + 1);
        if (list.length() != 1 || list.nullCount() != 0 || items.nullCount() != 0 || items.length() != numel) {
            throw new IllegalArgumentException("field nodes (" + list.length() + " rows, " + list.nullCount() + " nulls; "
                    + items.length() + " items, " + items.nullCount() + " nulls) are not one full row of " + numel);
        }
        Buffer data = batch.buffers(3 * i + 2);
        long bytes = numel * dtype.byteSize();
        if (data.offset() < 0 || data.length() < bytes || data.offset() + bytes > body.byteSize()) {
            throw new IllegalArgumentException("data buffer (offset " + data.offset() + ", " + data.length() + " bytes) does not hold "
                    + bytes + " bytes inside the body");
        }
        return new HostTensor(dtype, shape, body.asSlice(data.offset(), bytes));
    }

    private static long[] parseShape(String s) {
        if (s.isEmpty()) {
            return new long[0];
        }
        try {
            return Arrays.stream(s.split(",", -1)).mapToLong(d -> Long.parseLong(d.strip())).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(TensorFileLayout.SHAPE_KEY + "=\"" + s + "\" is not a comma-separated shape");
        }
    }

    private static Map<String, String> keyValues(int n, IntFunction<KeyValue> get) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            KeyValue kv = get.apply(i);
            out.put(kv.key(), kv.value());
        }
        return out;
    }

    private static ByteBuffer buffer(MemorySegment file, long offset, long length) {
        return file.asSlice(offset, length).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }
}
