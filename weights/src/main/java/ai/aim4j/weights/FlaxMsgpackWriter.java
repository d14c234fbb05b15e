package ai.aim4j.weights;

import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.TensorSource;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import org.msgpack.core.MessageBufferPacker;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePacker;

/**
 * Streams a Flax msgpack file: the tree's headers are packed by msgpack-core straight into the file
 * channel, and each tensor's bytes follow its header, copied in bounded pieces. Memory use is the
 * tree of names plus a small buffer, whatever the file size.
 */
final class FlaxMsgpackWriter {
    private final FileChannel channel;
    private final MessagePacker out;
    private final ChannelCopier copier;
    private final long maxLeafBytes;

    private FlaxMsgpackWriter(FileChannel channel, ChannelCopier copier, long maxLeafBytes) {
        this.channel = channel;
        // Never closed: closing the packer would close the channel, which AtomicFiles still syncs.
        this.out = MessagePack.newDefaultPacker(channel);
        this.copier = copier;
        this.maxLeafBytes = maxLeafBytes;
    }

    /**
     * Writes {@code flat} as a nested tree; arrays of more than {@code maxLeafBytes} bytes go in
     * flax's chunked form ({@link FlaxMsgpack#MAX_LEAF_BYTES} matches flax; tests pass less).
     */
    static void write(Path file, SequencedMap<String, ? extends TensorSource> flat, long maxLeafBytes) throws IOException {
        Folder root = Folder.of(flat);
        AtomicFiles.write(file, ch -> {
            try (ChannelCopier copier = new ChannelCopier()) {
                FlaxMsgpackWriter writer = new FlaxMsgpackWriter(ch, copier, maxLeafBytes);
                writer.folder(root);
                writer.out.flush();
            }
        });
    }

    private sealed interface Node permits Folder, Leaf {}

    private record Leaf(TensorSource tensor) implements Node {}

    private record Folder(SequencedMap<String, Node> children) implements Node {
        static Folder of(SequencedMap<String, ? extends TensorSource> flat) {
            Folder root = new Folder(new LinkedHashMap<>());
            for (var e : flat.entrySet()) {
                root.insert(e.getKey(), e.getKey().split("/", -1), 0, e.getValue());
            }
            return root;
        }

        private void insert(String name, String[] path, int at, TensorSource tensor) {
            String key = path[at];
            if (at == path.length - 1) {
                if (children.putIfAbsent(key, new Leaf(tensor)) != null) {
                    throw new IllegalArgumentException("path " + name + " is both a leaf and a folder");
                }
                return;
            }
            if (!(children.computeIfAbsent(key, k -> new Folder(new LinkedHashMap<>())) instanceof Folder child)) {
                throw new IllegalArgumentException("path " + name + " runs through a leaf");
            }
            child.insert(name, path, at + 1, tensor);
        }
    }

    private void folder(Folder folder) throws IOException {
        out.packMapHeader(folder.children().size());
        for (var e : folder.children().entrySet()) {
            out.packString(e.getKey());
            switch (e.getValue()) {
                case Folder child -> folder(child);
                case Leaf leaf -> tensor(leaf.tensor());
            }
        }
    }

    private void tensor(TensorSource t) throws IOException {
        MemorySegment bytes = t.bytes();
        if (bytes.byteSize() != t.byteSize()) {
            throw new IOException("tensor source produced " + bytes.byteSize() + " bytes, expected " + t.byteSize());
        }
        if (bytes.byteSize() <= maxLeafBytes) {
            array(t.dtype(), t.shape(), bytes);
        } else {
            chunked(t.dtype(), t.shape(), bytes);
        }
    }

    /** flax's {@code _chunk}: the flattened array in 1-D pieces of at most {@code maxLeafBytes}. */
    private void chunked(DType dtype, long[] shape, MemorySegment bytes) throws IOException {
        int elementSize = dtype.byteSize();
        long numel = HostTensor.numel(shape);
        long perChunk = Math.max(1, maxLeafBytes / elementSize);
        long chunks = (numel + perChunk - 1) / perChunk;
        out.packMapHeader(3);
        out.packString(FlaxMsgpack.CHUNKED_MARKER).packBoolean(true);
        out.packString("shape").packMapHeader(shape.length);
        for (int i = 0; i < shape.length; i++) {
            out.packString(Integer.toString(i)).packLong(shape[i]);
        }
        out.packString("chunks").packMapHeader(Math.toIntExact(chunks));
        for (long c = 0; c < chunks; c++) {
            long first = c * perChunk;
            long n = Math.min(perChunk, numel - first);
            out.packString(Long.toString(c));
            array(dtype, new long[] {n}, bytes.asSlice(first * elementSize, n * elementSize));
        }
    }

    /** One ndarray leaf: extension type 1 around msgpack's {@code [shape, dtype name, bin]}. */
    private void array(DType dtype, long[] shape, MemorySegment bytes) throws IOException {
        int dataBytes = Math.toIntExact(bytes.byteSize());
        byte[] head;
        try (MessageBufferPacker p = MessagePack.newDefaultBufferPacker()) {
            p.packArrayHeader(3).packArrayHeader(shape.length);
            for (long d : shape) {
                p.packLong(d);
            }
            p.packString(dtype.numpyName()).packBinaryHeader(dataBytes);
            head = p.toByteArray();
        }
        out.packExtensionTypeHeader(FlaxMsgpack.EXT_NDARRAY, Math.addExact(head.length, dataBytes));
        out.writePayload(head);
        out.flush();
        copier.write(channel, bytes);
    }
}
