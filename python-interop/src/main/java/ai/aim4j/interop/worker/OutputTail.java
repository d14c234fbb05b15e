package ai.aim4j.interop.worker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The last few kilobytes a child process wrote, read by a daemon thread so the child never blocks on
 * a full pipe; what error messages quote when the child fails.
 */
final class OutputTail {
    private final byte[] ring;
    private long written;
    private final Thread reader;

    private OutputTail(int capacity, InputStream in, String threadName) {
        this.ring = new byte[capacity];
        this.reader = Thread.ofPlatform().daemon().name(threadName).start(() -> drain(in));
    }

    /** Starts reading {@code in} (a process's output) into a buffer of the last {@code capacity} bytes. */
    static OutputTail capture(InputStream in, int capacity, String threadName) {
        return new OutputTail(capacity, in, threadName);
    }

    private void drain(InputStream in) {
        byte[] buf = new byte[4096];
        try (in) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                append(buf, n);
            }
        } catch (IOException e) {
            // the process is gone; what was read stays
        }
    }

    private synchronized void append(byte[] buf, int n) {
        for (int i = 0; i < n; i++) {
            ring[(int) (written++ % ring.length)] = buf[i];
        }
    }

    /** Waits up to {@code millis} for the output's end (after the process exited), so the tail is complete. */
    void awaitEnd(long millis) {
        try {
            reader.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The last {@code maxLines} non-blank lines held, each indented by two spaces; "" when there are none. */
    synchronized String lines(int maxLines) {
        int n = (int) Math.min(written, ring.length);
        byte[] tail = new byte[n];
        for (int i = 0; i < n; i++) {
            tail[i] = ring[(int) ((written - n + i) % ring.length)];
        }
        String[] all = new String(tail, StandardCharsets.UTF_8).split("\\R");
        // the first line may have been cut by the ring, unless everything fitted
        int from = written > ring.length ? 1 : 0;
        List<String> kept = Arrays.stream(all, Math.min(from, all.length), all.length).filter(l -> !l.isBlank()).toList();
        return kept.subList(Math.max(0, kept.size() - maxLines), kept.size()).stream().map(l -> "  " + l)
                .collect(Collectors.joining("\n"));
    }
}
