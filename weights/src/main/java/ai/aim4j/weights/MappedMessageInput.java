package ai.aim4j.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.msgpack.core.buffer.MessageBuffer;
import org.msgpack.core.buffer.MessageBufferInput;

/**
 * Hands msgpack-core a memory-mapped file from a given offset in small windows copied onto the heap.
 * Only the structure (keys, array headers) is read this way: a reader seeks past each array's bytes
 * by starting a new input after them, so those bytes are never copied nor even touched.
 *
 * <p>The windows are copies because msgpack-core can only wrap a direct buffer with access to a
 * JDK-internal class ({@code sun.nio.ch.DirectBuffer}), which would make every JVM that reads a
 * checkpoint need an extra {@code --add-exports} flag.
 */
final class MappedMessageInput implements MessageBufferInput {
    /** Large enough for the keys and headers between two arrays, small enough that re-reading it after each seek costs nothing. */
    static final int DEFAULT_WINDOW = 8 << 10;

    private final MemorySegment file;
    private final int window;
    private long position;

    /** @param window bytes per buffer handed out */
    MappedMessageInput(MemorySegment file, long start, int window) {
        if (window <= 0) {
            throw new IllegalArgumentException("window of " + window + " bytes");
        }
        this.file = file;
        this.position = start;
        this.window = window;
    }

    @Override
    public MessageBuffer next() {
        if (position >= file.byteSize()) {
            return null;
        }
        int n = (int) Math.min(window, file.byteSize() - position);
        byte[] bytes = new byte[n];
        MemorySegment.copy(file, ValueLayout.JAVA_BYTE, position, bytes, 0, n);
        position += n;
        return MessageBuffer.wrap(bytes);
    }

    /** Nothing to release: the mapping belongs to the arena of the tensors read from it. */
    @Override
    public void close() {}
}
