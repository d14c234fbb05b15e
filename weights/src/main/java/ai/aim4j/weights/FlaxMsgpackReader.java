package ai.aim4j.weights;

import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SequencedMap;
import org.msgpack.core.ExtensionTypeHeader;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageInsufficientBufferException;
import org.msgpack.core.MessagePack;
import org.msgpack.core.MessagePackException;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Reads a Flax msgpack file through a memory map of the whole file. msgpack-core decodes the keys and
 * array headers; each array's bytes, located by the unpacker's byte position, become a slice of the
 * mapping, and the unpacker is restarted after them rather than made to read them. Every size the
 * file declares is checked against the bytes the file still holds before anything is allocated or
 * sliced for it.
 */
final class FlaxMsgpackReader {
    /** Deeper trees are refused: flax checkpoints nest a handful of levels, and recursion must stay bounded. */
    private static final int MAX_DEPTH = 64;
    /** NumPy's own limit on the number of dimensions. */
    private static final int MAX_RANK = 64;
    /** Keys and dtype names are short; longer strings are refused rather than decoded. */
    private static final int MAX_STRING_BYTES = 1 << 16;

    /** Where an array's bytes lie in the file, with the type and shape its header declares. */
    private record ArrayRef(DType dtype, long[] shape, long offset, long byteSize) {}

    private final Path file;
    private final MemorySegment mapped;
    private final Arena arena;
    private final int window;
    private final MessageUnpacker in;
    /** The file offset of the unpacker's byte 0: it restarts there after each array's bytes. */
    private long base;
    private final SequencedMap<String, HostTensor> tensors = new LinkedHashMap<>();

    private FlaxMsgpackReader(Path file, MemorySegment mapped, Arena arena, int window) {
        this.file = file;
        this.mapped = mapped;
        this.arena = arena;
        this.window = window;
        this.in = MessagePack.newDefaultUnpacker(new MappedMessageInput(mapped, 0, window));
    }

    /**
     * Reads {@code file}, handing msgpack-core the mapping in windows of {@code window} bytes
     * ({@link MappedMessageInput#DEFAULT_WINDOW} in use; tests pass tiny windows so that values straddle them).
     */
    static NamedTensors read(Path file, int window) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            SequencedMap<String, HostTensor> tensors = new FlaxMsgpackReader(file, mapped, arena, window).readTree();
            return new NamedTensors(tensors, Map.of(), arena);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private SequencedMap<String, HostTensor> readTree() throws IOException {
        try (in) {
            if (mapped.byteSize() == 0) {
                throw fail("empty file, not a Flax msgpack tree");
            }
            if (in.getNextFormat().getValueType() != ValueType.MAP) {
                throw fail("Flax msgpack file does not start with a map");
            }
            readFolder("", 1);
            if (in.hasNext()) {
                throw fail("trailing bytes after the Flax msgpack tree, from byte " + position());
            }
        } catch (MessageInsufficientBufferException e) {
            throw new CheckpointFormatException(file, "a msgpack value runs past the end of the file (truncated?)", e);
        } catch (MessagePackException e) {
            throw new CheckpointFormatException(file, "malformed msgpack near byte " + position() + " ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")", e);
        }
        return tensors;
    }

    private CheckpointFormatException fail(String problem) {
        return new CheckpointFormatException(file, problem);
    }

    /** The file offset of the unpacker's next byte. */
    private long position() {
        return base + in.getTotalReadBytes();
    }

    private long remaining() {
        return mapped.byteSize() - position();
    }

    /** Restarts the unpacker at {@code offset}, stepping over the bytes before it without reading them. */
    private void seek(long offset) throws IOException {
        base = offset;
        in.reset(new MappedMessageInput(mapped, offset, window));
    }

    private static String where(String path) {
        return path.isEmpty() ? "the root map" : "map " + path;
    }

    /** A map of folders and arrays, or flax's chunked form of one array (recognized by its first key). */
    private void readFolder(String path, int depth) throws IOException {
        int entries = mapHeader(path, depth);
        for (int i = 0; i < entries; i++) {
            String key = string("a key of " + where(path), mapped.byteSize());
            if (key.equals(FlaxMsgpack.CHUNKED_MARKER)) {
                if (path.isEmpty()) {
                    throw fail("the root map is one chunked array, not a tree of named arrays");
                }
                if (i != 0) {
                    throw fail(where(path) + " has the chunked-array key " + key + " after other keys (flax writes it first)");
                }
                readChunked(path, entries - 1, depth);
                return;
            }
            String child = path.isEmpty() ? key : path + "/" + key;
            MessageFormat format = in.getNextFormat();
            switch (format.getValueType()) {
                case MAP -> readFolder(child, depth + 1);
                case EXTENSION -> put(child, slice(readArray(child)));
                default -> throw fail("leaf " + child + " is a msgpack " + format.getValueType()
                        + ", not an array (only ndarray leaves are supported)");
            }
        }
    }

    /** A map header at nesting {@code depth}, its entry count checked against the rest of the file. */
    private int mapHeader(String path, int depth) throws IOException {
        if (depth > MAX_DEPTH) {
            throw fail("maps nested deeper than " + MAX_DEPTH + " levels at " + path);
        }
        int entries = in.unpackMapHeader();
        // Every entry takes at least two bytes: a one-byte key and a one-byte value.
        if (2L * entries > remaining()) {
            throw fail(where(path) + " declares " + entries + " entries, but only " + remaining() + " bytes remain in the file");
        }
        return entries;
    }

    /** A UTF-8 string that must end by byte {@code end} of the file. */
    private String string(String what, long end) throws IOException {
        MessageFormat format = in.getNextFormat();
        if (format.getValueType() != ValueType.STRING) {
            throw fail(what + " is a msgpack " + format.getValueType() + ", not a string");
        }
        int length = in.unpackRawStringHeader();
        if (length > MAX_STRING_BYTES || length > end - position()) {
            throw fail(what + " declares " + length + " bytes, more than " + Math.min(MAX_STRING_BYTES, end - position()) + " allowed there");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(in.readPayload(length))).toString();
        } catch (CharacterCodingException e) {
            throw fail(what + " is not valid UTF-8");
        }
    }

    private void expectKey(String path, String expected) throws IOException {
        String key = string("a key of " + where(path), mapped.byteSize());
        if (!key.equals(expected)) {
            throw fail(where(path) + " has key '" + key + "' where flax writes '" + expected + "'");
        }
    }

    private long integer(String what) throws IOException {
        MessageFormat format = in.getNextFormat();
        if (format.getValueType() != ValueType.INTEGER) {
            throw fail(what + " is a msgpack " + format.getValueType() + ", not an integer");
        }
        return in.unpackLong();
    }

    private void put(String name, HostTensor tensor) throws CheckpointFormatException {
        if (tensors.putIfAbsent(name, tensor) != null) {
            throw fail("tensor name " + name + " appears twice in the tree");
        }
    }

    private HostTensor slice(ArrayRef array) {
        return new HostTensor(array.dtype(), array.shape(), mapped.asSlice(array.offset(), array.byteSize()));
    }

    /** An ndarray extension value, its payload left unread in the mapping. */
    private ArrayRef readArray(String name) throws IOException {
        ExtensionTypeHeader ext = in.unpackExtensionTypeHeader();
        if (ext.getType() != FlaxMsgpack.EXT_NDARRAY) {
            throw fail("leaf " + name + " has msgpack extension type " + ext.getType() + ", expected 1 (ndarray)");
        }
        if (ext.getLength() > remaining()) {
            throw fail("array " + name + " declares " + ext.getLength() + " bytes, past the end of the file ("
                    + remaining() + " bytes remain; truncated?)");
        }
        long end = position() + ext.getLength();
        if (in.unpackArrayHeader() != 3) {
            throw fail("array " + name + " is not a [shape, dtype, bytes] triple");
        }
        int rank = in.unpackArrayHeader();
        if (rank > MAX_RANK || rank > end - position()) {
            throw fail("array " + name + " declares rank " + rank + " (at most " + MAX_RANK + " fit its payload)");
        }
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            shape[i] = integer("dimension " + i + " of array " + name);
        }
        String dtypeName = string("the dtype of array " + name, end);
        DType dtype = DType.fromNumpyName(dtypeName).orElseThrow(() ->
                fail("array " + name + " has unsupported dtype " + dtypeName));
        long byteSize = DeclaredShape.byteSize(file, "array " + name, shape, dtype);
        MessageFormat format = in.getNextFormat();
        if (format.getValueType() != ValueType.BINARY) {
            throw fail("array " + name + " has a msgpack " + format.getValueType() + " where its bytes belong");
        }
        int length = in.unpackBinaryHeader();
        long dataStart = position();
        if (length != byteSize || dataStart + length != end) {
            throw fail("array " + name + " holds " + length + " bytes in a payload with room for " + (end - dataStart)
                    + ", its shape " + Arrays.toString(shape) + " of " + dtype + " needs " + byteSize);
        }
        // The tensor is a slice of the mapping: its bytes need not pass through the unpacker.
        seek(end);
        return new ArrayRef(dtype, shape, dataStart, byteSize);
    }

    /**
     * flax's chunked form, after its marker key: {@code shape} then {@code chunks}, each keyed
     * {@code "0"}, {@code "1"}, ... in order, as flax writes them. The chunks are copied into one
     * tensor in memory owned by the arena.
     */
    private void readChunked(String name, int entries, int depth) throws IOException {
        MessageFormat marker = in.getNextFormat();
        if (marker != MessageFormat.BOOLEAN || !in.unpackBoolean()) {
            throw fail("chunked array " + name + " has a chunked-array key whose value is not true");
        }
        if (entries != 2) {
            throw fail("chunked array " + name + " has " + (entries + 1) + " keys, expected the marker, shape and chunks");
        }
        expectKey(name, "shape");
        String shapePath = name + "/shape";
        int rank = mapHeader(shapePath, depth + 1);
        if (rank > MAX_RANK) {
            throw fail("chunked array " + name + " declares rank " + rank + " (at most " + MAX_RANK + ")");
        }
        long[] shape = new long[rank];
        for (int i = 0; i < rank; i++) {
            expectKey(shapePath, Integer.toString(i));
            shape[i] = integer("dimension " + i + " of chunked array " + name);
        }
        expectKey(name, "chunks");
        put(name, readChunks(name, shape, depth + 1));
    }

    private HostTensor readChunks(String name, long[] shape, int depth) throws IOException {
        String chunksPath = name + "/chunks";
        int count = mapHeader(chunksPath, depth);
        if (count == 0) {
            throw fail("chunked array " + name + " has no chunks");
        }
        MemorySegment assembled = null;
        DType dtype = null;
        long filled = 0;
        for (int i = 0; i < count; i++) {
            String chunkName = chunksPath + "/" + i;
            expectKey(chunksPath, Integer.toString(i));
            if (in.getNextFormat().getValueType() != ValueType.EXTENSION) {
                throw fail("chunk " + chunkName + " is a msgpack " + in.getNextFormat().getValueType() + ", not an array");
            }
            ArrayRef chunk = readArray(chunkName);
            if (assembled == null) {
                dtype = chunk.dtype();
                long total = DeclaredShape.byteSize(file, "chunked array " + name, shape, dtype);
                // The chunks read so far and the rest of the file must be able to hold the array
                // before memory is set aside for it.
                if (total > chunk.byteSize() + remaining()) {
                    throw fail("chunked array " + name + " of shape " + Arrays.toString(shape) + " needs " + total
                            + " bytes, more than the rest of the file holds");
                }
                assembled = arena.allocate(Math.max(total, 1), 64).asSlice(0, total);
            }
            if (chunk.dtype() != dtype || chunk.shape().length != 1) {
                throw fail("chunk " + chunkName + " is " + chunk.dtype() + Arrays.toString(chunk.shape())
                        + ", expected a 1-D " + dtype + " piece of the array");
            }
            if (chunk.byteSize() > assembled.byteSize() - filled) {
                throw fail("chunks of " + name + " hold more than the " + assembled.byteSize() + " bytes its shape "
                        + Arrays.toString(shape) + " needs");
            }
            MemorySegment.copy(mapped, chunk.offset(), assembled, filled, chunk.byteSize());
            filled += chunk.byteSize();
        }
        if (filled != assembled.byteSize()) {
            throw fail("chunks of " + name + " hold " + filled + " bytes, its shape " + Arrays.toString(shape)
                    + " of " + dtype + " needs " + assembled.byteSize());
        }
        return new HostTensor(dtype, shape, assembled);
    }
}
