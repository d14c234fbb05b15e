package ai.aim4j.interop.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The worker's side of the protocol, spoken directly: input {@link PythonWorker} never sends
 * (lines that are not JSON, requests of the wrong shape, a damaged tensor file) is answered with an
 * error reply naming the problem, and the worker goes on answering.
 */
class WorkerProtocolTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void badInputGetsAnErrorReplyAndTheWorkerCarriesOn() throws IOException, InterruptedException {
        try (SharedMemoryFolder folder = SharedMemoryFolder.create();
             ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            Path socket = folder.path().resolve("control.sock");
            server.bind(UnixDomainSocketAddress.of(socket));
            Process worker = PythonEnvironment.locate().processBuilder(List.of("-m", "aim4j.worker", "--socket", socket.toString(),
                    "--dir", folder.path().toString(), "--backend", "numpy")).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (SocketChannel channel = server.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
                OutputStream out = Channels.newOutputStream(channel);
                assertTrue(JSON.readTree(in.readLine()).get("ready").asBoolean());

                JsonNode r = exchange(in, out, "this is not json");
                assertEquals(false, r.get("ok").asBoolean());
                assertTrue(r.get("error").asText().startsWith("bad control message: "), r.toString());

                r = exchange(in, out, "[1, 2, 3]");
                assertEquals("bad control message: expected an object with a string op and object args", r.get("error").asText());

                Path damaged = folder.path().resolve("request-7.arrow");
                Files.writeString(damaged, "ARROW1 but nothing else");
                r = exchange(in, out, "{\"id\": 7, \"op\": \"echo\", \"args\": {}, \"tensors\": \"" + damaged + "\"}");
                assertEquals(7, r.get("id").asInt());
                assertTrue(r.get("error").asText().startsWith("TensorFileError: " + damaged + ": not a readable tensor file: "), r.toString());

                r = exchange(in, out, "{\"id\": 8, \"op\": \"versions\", \"args\": {}, \"tensors\": null}");
                assertEquals(true, r.get("ok").asBoolean(), r.toString());
                assertTrue(r.get("result").has("numpy"));
            } finally {
                worker.getOutputStream().close(); // the end of its standard input is the worker's signal to go
                assertTrue(worker.waitFor(10, TimeUnit.SECONDS), "the worker did not exit at the end of its input");
            }
        }
    }

    private static JsonNode exchange(BufferedReader in, OutputStream out, String line) throws IOException {
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return JSON.readTree(in.readLine());
    }
}
