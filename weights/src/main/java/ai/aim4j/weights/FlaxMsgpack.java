package ai.aim4j.weights;

import ai.aim4j.model.tensor.NamedTensors;
import ai.aim4j.model.tensor.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SequencedMap;

/**
 * Flax's {@code flax.serialization.to_bytes} format: nested msgpack maps with string keys whose array
 * leaves are extension values of type 1 holding {@code [shape, dtype name, C-order bytes]}. Arrays
 * over 1 GiB are split the way flax splits them: a map
 * {@code {"__msgpack_chunked_array__": true, "shape": {"0": d0, ...}, "chunks": {"0": array, ...}}}
 * whose chunks are 1-D pieces of the flattened array. Tensors are presented flat, keyed by their
 * {@code /}-joined path ({@code params/trunk/layers_0/...}). Files of any size are read through a
 * memory map and written as a stream.
 */
public final class FlaxMsgpack {
    /** The msgpack extension type flax gives ndarray leaves. */
    static final byte EXT_NDARRAY = 1;
    /** The first key of flax's chunked form of an array. */
    static final String CHUNKED_MARKER = "__msgpack_chunked_array__";
    /**
     * flax's {@code MAX_CHUNK_SIZE}: arrays of more bytes are written in chunks of at most this many,
     * keeping each msgpack value clear of the 2^31 - 1 byte limit of msgpack implementations.
     */
    static final long MAX_LEAF_BYTES = 1L << 30;

    private FlaxMsgpack() {}

    /**
     * Maps {@code file} read-only and returns its arrays in file order. Whole arrays share the mapped
     * pages (never write them in place); chunked arrays are assembled in memory owned by the result.
     * Close the result to unmap the file.
     */
    public static NamedTensors read(Path file) throws IOException {
        return FlaxMsgpackReader.read(file, MappedMessageInput.DEFAULT_WINDOW);
    }

    /**
     * Writes tensors keyed by {@code /}-joined paths as a nested tree, in the order given, atomically.
     * The bytes are those {@code flax.serialization.to_bytes} writes for the same tree; one tensor's
     * {@link TensorSource#bytes()} is asked for at a time and streamed to disk in small pieces.
     */
    public static void write(Path file, SequencedMap<String, ? extends TensorSource> flat) throws IOException {
        FlaxMsgpackWriter.write(file, flat, MAX_LEAF_BYTES);
    }
}
