package ai.aim4j.weights;

import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.model.tensor.TensorSource;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;

/**
 * The safetensors format (8-byte little-endian header length, JSON header, raw data), read through a
 * memory map of the whole file: no size limit, no copy into the Java heap, tensors handed to the
 * engine straight from the mapped pages.
 */
public final class SafeTensors {
    /** Headers above this size are refused as corrupt rather than parsed (the format's own limit). */
    private static final long MAX_HEADER = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafeTensors() {}

    /**
     * Maps {@code file} read-only and returns its tensors in header order. Tensors made from it share
     * the mapped pages, so they must never be written in place (inference never does; training
     * copies its parameters into memory of its own).
     */
    public static NamedTensors read(Path file) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointFormatException(file, "safetensors file of " + size + " bytes is too short for its 8-byte header length");
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLen <= 0 || headerLen > MAX_HEADER || headerLen > size - 8) {
                throw new CheckpointFormatException(file, "safetensors header length " + headerLen
                        + " does not fit the file of " + size + " bytes (truncated or not a safetensors file)");
            }
            String header = new String(all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            MemorySegment data = all.asSlice(8 + headerLen);
            NamedTensors result = parse(file, header, data, arena);
            return result;
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static NamedTensors parse(Path file, String header, MemorySegment data, Arena arena) throws CheckpointFormatException {
        JsonNode root;
        try {
            root = JSON.readTree(header);
        } catch (JsonProcessingException e) {
            throw new CheckpointFormatException(file, "safetensors header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointFormatException(file, "safetensors header is not a JSON object");
        }
        SequencedMap<String, HostTensor> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> fields = root.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String name = f.getKey();
            JsonNode node = f.getValue();
            if (name.equals("__metadata__")) {
                node.fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String dtypeName = node.path("dtype").asText();
            DType dtype = DType.fromSafetensors(dtypeName).orElseThrow(() ->
                    new CheckpointFormatException(file, "tensor " + name + " has unsupported dtype '" + dtypeName + "'"));
            JsonNode shapeNode = node.path("shape");
            JsonNode offsets = node.path("data_offsets");
            if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
                throw new CheckpointFormatException(file, "tensor " + name + " lacks a shape or a [begin, end] data_offsets pair");
            }
            long[] shape = new long[shapeNode.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong(-1);
                if (shape[i] < 0) {
                    throw new CheckpointFormatException(file, "tensor " + name + " has a negative or non-integer dimension");
                }
            }
            long begin = offsets.get(0).asLong(-1);
            long end = offsets.get(1).asLong(-1);
            long need = HostTensor.numel(shape) * dtype.byteSize();
            if (begin < 0 || end < begin || end - begin != need) {
                throw new CheckpointFormatException(file, "tensor " + name + " has data_offsets [" + begin + ", " + end
                        + "] but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + need + " bytes");
            }
            if (end > data.byteSize()) {
                throw new CheckpointFormatException(file, "tensor " + name + " ends at byte " + end + " of the data section, which has only "
                        + data.byteSize() + " bytes (file truncated?)");
            }
            ranges.add(new long[] {begin, end});
            tensors.put(name, new HostTensor(dtype, shape, data.asSlice(begin, end - begin)));
        }
        ranges.sort(Comparator.comparingLong(r -> r[0]));
        for (int i = 1; i < ranges.size(); i++) {
            if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
                throw new CheckpointFormatException(file, "tensors overlap in the data section at byte " + ranges.get(i)[0]);
            }
        }
        return new NamedTensors(tensors, metadata, arena);
    }

    /**
     * Writes tensors atomically in the order given (one tensor in memory at a time), with
     * {@code __metadata__} entries (PyTorch's writer puts {@code "format": "pt"} there).
     */
    public static void write(Path file, SequencedMap<String, ? extends TensorSource> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (var e : tensors.entrySet()) {
            TensorSource t = e.getValue();
            ObjectNode node = header.putObject(e.getKey());
            node.put("dtype", t.dtype().safetensorsName());
            ArrayNode shape = node.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            ArrayNode offsets = node.putArray("data_offsets");
            offsets.add(offset);
            offset += t.byteSize();
            offsets.add(offset);
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        AtomicFiles.write(file, ch -> {
            writeFully(ch, head);
            for (TensorSource t : tensors.values()) {
                MemorySegment bytes = t.bytes();
                if (bytes.byteSize() != t.byteSize()) {
                    throw new IOException("tensor source produced " + bytes.byteSize() + " bytes, expected " + t.byteSize());
                }
                writeSegment(ch, bytes);
            }
        });
    }

    /** Writes a segment of any size through a channel, in chunks a ByteBuffer can address. */
    static void writeSegment(FileChannel ch, MemorySegment bytes) throws IOException {
        long chunk = 1L << 30;
        for (long pos = 0; pos < bytes.byteSize(); pos += chunk) {
            MemorySegment part = bytes.asSlice(pos, Math.min(chunk, bytes.byteSize() - pos));
            ByteBuffer buf = part.isNative() ? part.asByteBuffer() : ByteBuffer.wrap(part.toArray(ValueLayout.JAVA_BYTE));
            writeFully(ch, buf);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
