package ai.aim4j.weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Copies tensor bytes of any size into a file channel through one small native buffer. Going through
 * the buffer takes heap segments of any array type, and keeps the channel from allocating a
 * temporary direct buffer as large as the tensor, so a writer's memory stays bounded.
 */
final class ChannelCopier implements AutoCloseable {
    private static final int BUFFER_BYTES = 8 << 20;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(BUFFER_BYTES, 64);
    private final ByteBuffer view = buffer.asByteBuffer();

    /** Appends {@code bytes} at the channel's position. */
    void write(FileChannel channel, MemorySegment bytes) throws IOException {
        for (long pos = 0; pos < bytes.byteSize(); pos += BUFFER_BYTES) {
            int n = (int) Math.min(BUFFER_BYTES, bytes.byteSize() - pos);
            MemorySegment.copy(bytes, pos, buffer, 0, n);
            view.clear().limit(n);
            while (view.hasRemaining()) {
                channel.write(view);
            }
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
