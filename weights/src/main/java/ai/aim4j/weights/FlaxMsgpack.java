package ai.aim4j.weights;

import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.model.tensor.TensorSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.core.buffer.MessageBuffer;
import org.msgpack.value.ValueType;

/**
 * Flax's {@code flax.serialization.to_bytes} format: nested msgpack maps with string keys whose array
 * leaves are extension values of type 1 holding {@code [shape, dtype name, C-order bytes]}. Tensors
 * are presented flat, keyed by their {@code /}-joined path ({@code params/trunk/layers_0/...}).
 */
public final class FlaxMsgpack {
    private static final byte EXT_NDARRAY = 1;

    private FlaxMsgpack() {}

    public static NamedTensors read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        SequencedMap<String, HostTensor> flat = new LinkedHashMap<>();
        try (MessageUnpacker in = MessagePack.newDefaultUnpacker(bytes)) {
            if (in.getNextFormat().getValueType() != ValueType.MAP) {
                throw new CheckpointFormatException(file, "Flax msgpack file does not start with a map");
            }
            readMap(file, in, "", flat);
            if (in.hasNext()) {
                throw new CheckpointFormatException(file, "trailing bytes after the Flax msgpack tree");
            }
        } catch (MessagePackException | IllegalStateException e) {
            throw new CheckpointFormatException(file, "malformed Flax msgpack (" + e.getMessage() + "; truncated?)", e);
        }
        return NamedTensors.inMemory(flat);
    }

    private static void readMap(Path file, MessageUnpacker in, String prefix, SequencedMap<String, HostTensor> out) throws IOException {
        int n = in.unpackMapHeader();
        for (int i = 0; i < n; i++) {
            String key = in.unpackString();
            String path = prefix.isEmpty() ? key : prefix + "/" + key;
            MessageFormat format = in.getNextFormat();
            if (format.getValueType() == ValueType.MAP) {
                readMap(file, in, path, out);
            } else if (format.getValueType() == ValueType.EXTENSION) {
                out.put(path, readArray(file, in, path));
            } else {
                throw new CheckpointFormatException(file, "leaf " + path + " is a msgpack " + format.getValueType()
                        + ", not an array (only ndarray leaves are supported)");
            }
        }
    }

    private static HostTensor readArray(Path file, MessageUnpacker in, String path) throws IOException {
        var ext = in.unpackExtensionTypeHeader();
        if (ext.getType() != EXT_NDARRAY) {
            throw new CheckpointFormatException(file, "leaf " + path + " has msgpack extension type " + ext.getType() + ", expected 1 (ndarray)");
        }
        byte[] payload = in.readPayload(ext.getLength());
        try (MessageUnpacker p = MessagePack.newDefaultUnpacker(payload)) {
            if (p.unpackArrayHeader() != 3) {
                throw new CheckpointFormatException(file, "leaf " + path + " is not a [shape, dtype, bytes] triple");
            }
            int rank = p.unpackArrayHeader();
            long[] shape = new long[rank];
            for (int i = 0; i < rank; i++) {
                shape[i] = p.unpackLong();
            }
            String dtypeName = p.unpackString();
            DType dtype = DType.fromNumpyName(dtypeName).orElseThrow(() ->
                    new CheckpointFormatException(file, "leaf " + path + " has unsupported dtype " + dtypeName));
            int len = p.unpackBinaryHeader();
            long need = HostTensor.numel(shape) * dtype.byteSize();
            if (len != need) {
                throw new CheckpointFormatException(file, "leaf " + path + " holds " + len + " bytes, its shape needs " + need);
            }
            MemorySegment seg = Arena.ofAuto().allocate(Math.max(len, 1), 64).asSlice(0, len);
            seg.copyFrom(MemorySegment.ofArray(p.readPayload(len)));
            return new HostTensor(dtype, shape, seg);
        }
    }

    /** Writes tensors keyed by {@code /}-joined paths as a nested tree, in the order given, atomically. */
    public static void write(Path file, SequencedMap<String, ? extends TensorSource> flat) throws IOException {
        Map<String, Object> tree = new LinkedHashMap<>();
        for (var e : flat.entrySet()) {
            insert(tree, List.of(e.getKey().split("/")), e.getValue());
        }
        try (MessageBufferPacker out = MessagePack.newDefaultBufferPacker()) {
            writeNode(out, tree);
            List<MessageBuffer> buffers = out.toBufferList();
            AtomicFiles.write(file, ch -> {
                for (MessageBuffer b : buffers) {
                    ByteBuffer bb = b.sliceAsByteBuffer();
                    while (bb.hasRemaining()) {
                        ch.write(bb);
                    }
                }
            });
        }
    }

    @SuppressWarnings("unchecked")
    private static void insert(Map<String, Object> tree, List<String> path, TensorSource leaf) {
        if (path.size() == 1) {
            tree.put(path.getFirst(), leaf);
            return;
        }
        Object child = tree.computeIfAbsent(path.getFirst(), k -> new LinkedHashMap<String, Object>());
        if (!(child instanceof Map)) {
            throw new IllegalArgumentException("path " + String.join("/", path) + " is both a leaf and a folder");
        }
        insert((Map<String, Object>) child, path.subList(1, path.size()), leaf);
    }

    @SuppressWarnings("unchecked")
    private static void writeNode(MessageBufferPacker out, Map<String, Object> node) throws IOException {
        out.packMapHeader(node.size());
        for (var e : node.entrySet()) {
            out.packString(e.getKey());
            if (e.getValue() instanceof Map<?, ?> m) {
                writeNode(out, (Map<String, Object>) m);
            } else {
                TensorSource t = (TensorSource) e.getValue();
                byte[] raw = t.bytes().toArray(ValueLayout.JAVA_BYTE);
                try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
                    p.packArrayHeader(3);
                    p.packArrayHeader(t.shape().length);
                    for (long d : t.shape()) {
                        p.packLong(d);
                    }
                    p.packString(t.dtype().numpyName());
                    p.packBinaryHeader(raw.length);
                    p.writePayload(raw);
                    byte[] payload = p.toByteArray();
                    out.packExtensionTypeHeader(EXT_NDARRAY, payload.length);
                    out.writePayload(payload);
                }
            }
        }
    }
}
