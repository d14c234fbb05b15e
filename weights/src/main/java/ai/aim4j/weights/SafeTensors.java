package ai.aim4j.weights;

import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.model.tensor.TensorSource;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
    /** A repeated key is refused: which of two entries counts would be up to the reader. */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

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
        List<Range> ranges = new ArrayList<>();
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
                shape[i] = naturalNumber(file, "shape of tensor " + name, shapeNode.get(i));
            }
            long begin = naturalNumber(file, "data_offsets of tensor " + name, offsets.get(0));
            long end = naturalNumber(file, "data_offsets of tensor " + name, offsets.get(1));
            long need = DeclaredShape.byteSize(file, "tensor " + name, shape, dtype);
            if (end < begin || end - begin != need) {
                throw new CheckpointFormatException(file, "tensor " + name + " has data_offsets [" + begin + ", " + end
                        + "] but shape " + Arrays.toString(shape) + " of " + dtype + " needs " + need + " bytes");
            }
            if (end > data.byteSize()) {
                throw new CheckpointFormatException(file, "tensor " + name + " ends at byte " + end + " of the data section, which has only "
                        + data.byteSize() + " bytes (file truncated?)");
            }
            ranges.add(new Range(name, begin, end));
            tensors.put(name, new HostTensor(dtype, shape, data.asSlice(begin, end - begin)));
        }
        checkTiling(file, ranges, data.byteSize());
        return new NamedTensors(tensors, metadata, arena);
    }

    /** The bytes {@code [begin, end)} of the data section that a tensor's data_offsets claim. */
    private record Range(String tensor, long begin, long end) {}

    /**
     * The format requires the tensors to cover the data section exactly, in some order: no byte
     * claimed twice, none left unclaimed between or after them. Anything else is a damaged or
     * doctored file (bytes hidden where no tensor reads them, or two tensors aliasing memory).
     */
    private static void checkTiling(Path file, List<Range> ranges, long dataBytes) throws CheckpointFormatException {
        // Empty tensors sort before a tensor starting at the same byte, so they sit on a boundary.
        ranges.sort(Comparator.comparingLong(Range::begin).thenComparingLong(Range::end));
        long covered = 0;
        for (Range r : ranges) {
            if (r.begin() < covered) {
                throw new CheckpointFormatException(file, "tensors overlap in the data section: " + r.tensor() + " starts at byte "
                        + r.begin() + ", before the previous tensor ends at " + covered);
            }
            if (r.begin() > covered) {
                throw new CheckpointFormatException(file, "the data section has a gap of " + (r.begin() - covered) + " bytes before tensor "
                        + r.tensor() + " at byte " + r.begin());
            }
            covered = r.end();
        }
        if (covered != dataBytes) {
            throw new CheckpointFormatException(file, "the data section has " + (dataBytes - covered) + " bytes after the last tensor's end at byte "
                    + covered + " (trailing bytes)");
        }
    }

    /** A shape entry or offset: a JSON integer, neither negative nor too large for a long. */
    private static long naturalNumber(Path file, String what, JsonNode node) throws CheckpointFormatException {
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 0) {
            throw new CheckpointFormatException(file, what + " holds " + node + ", not a non-negative integer");
        }
        return node.asLong();
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
            while (head.hasRemaining()) {
                ch.write(head);
            }
            try (ChannelCopier copier = new ChannelCopier()) {
                for (TensorSource t : tensors.values()) {
                    MemorySegment bytes = t.bytes();
                    if (bytes.byteSize() != t.byteSize()) {
                        throw new IOException("tensor source produced " + bytes.byteSize() + " bytes, expected " + t.byteSize());
                    }
                    copier.write(ch, bytes);
                }
            }
        });
    }
}
