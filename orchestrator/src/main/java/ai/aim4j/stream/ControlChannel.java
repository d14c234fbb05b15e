package ai.aim4j.stream;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * The stream's control lines. Out: one JSON object per line (the ring, then one line per filled
 * slot, then the end). In: {@code release K} when the consumer is done with slot K; the end of the
 * input means the consumer is gone, and the producer stops. A reader thread hands releases to the
 * ring and interrupts the producer when the consumer leaves or misbehaves.
 */
final class ControlChannel {
    private final Writer out;
    private final Thread reader;
    private volatile boolean consumerGone;
    private volatile String protocolError;

    /** Starts reading {@code in} on a daemon thread; {@code producer} is interrupted when the input ends or is malformed. */
    ControlChannel(InputStream in, OutputStream out, SlotRing ring, Thread producer) {
        this.out = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        this.reader = new Thread(() -> read(in, ring, producer), "aim4j-stream-control");
        reader.setDaemon(true);
        reader.start();
    }

    private void read(InputStream in, SlotRing ring, Thread producer) {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                String[] words = line.strip().split(" ");
                if (words.length != 2 || !words[0].equals("release") || !words[1].matches("[0-9]{1,9}")) {
                    throw new IllegalArgumentException("the consumer sent '" + line + "' where 'release SLOT' was expected");
                }
                ring.release(Integer.parseInt(words[1]));
            }
        } catch (IOException e) {
            // A broken input is a consumer gone, as its end is.
        } catch (RuntimeException e) {
            protocolError = e.getMessage();
        }
        consumerGone = true;
        producer.interrupt();
    }

    /** Writes one line and flushes it; false when the consumer has closed its end. */
    boolean send(String json) {
        try {
            out.write(json);
            out.write('\n');
            out.flush();
            return true;
        } catch (IOException e) {
            consumerGone = true;
            return false;
        }
    }

    /** Whether the consumer has left, after which the producer stops quietly (unless it broke the protocol). */
    boolean consumerGone() {
        return consumerGone;
    }

    /** What the consumer did wrong, or null. */
    String protocolError() {
        return protocolError;
    }
}
