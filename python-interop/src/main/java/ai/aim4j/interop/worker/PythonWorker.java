package ai.aim4j.interop.worker;

import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.NamedTensors;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SequencedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A CPython process ({@code python -m aim4j.worker}) that runs ops for this JVM: control messages
 * are JSON lines on a Unix-domain socket, tensors travel as {@link TensorFile}s in a private
 * {@link SharedMemoryFolder}. Calls are sequential; an op that raises leaves the worker usable, a
 * worker that dies fails the call with its last output. The worker also exits, removing the folder,
 * when this JVM dies, however abruptly (it watches its standard input, a pipe from this JVM).
 */
public final class PythonWorker implements AutoCloseable {
    /** How long a worker may take from process start to ready (importing JAX on a busy machine is slow). */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(120);
    private static final int TAIL_BYTES = 16 * 1024;
    private static final int TAIL_LINES = 20;
    private static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {};

    private final String backend;
    private final Process process;
    private final SharedMemoryFolder folder;
    private final OutputTail output;
    private final SocketChannel channel;
    private final BufferedReader replies;
    private final OutputStream requests;
    private final Duration startup;
    private final Map<String, Object> ready;
    private long nextId = 1;
    private String dead;

    private PythonWorker(String backend, Process process, SharedMemoryFolder folder, OutputTail output, SocketChannel channel,
                         BufferedReader replies, Duration startup, Map<String, Object> ready) {
        this.backend = backend;
        this.process = process;
        this.folder = folder;
        this.output = output;
        this.channel = channel;
        this.replies = replies;
        this.requests = Channels.newOutputStream(channel);
        this.startup = startup;
        this.ready = ready;
    }

    /** Starts a worker for {@code backend} ({@code numpy}, {@code jax} or {@code torch}) within {@link #DEFAULT_START_TIMEOUT}. */
    public static PythonWorker start(PythonEnvironment env, String backend) throws PythonWorkerException {
        return start(env, backend, DEFAULT_START_TIMEOUT);
    }

    /**
     * Starts a worker and waits until it has imported its backend and connected. A worker that exits
     * first, or is not ready within {@code timeout} (then it is killed), is an error carrying its output.
     */
    public static PythonWorker start(PythonEnvironment env, String backend, Duration timeout) throws PythonWorkerException {
        String who = "Python worker (backend " + backend + ")";
        SharedMemoryFolder folder;
        try {
            folder = SharedMemoryFolder.create();
        } catch (IOException e) {
            throw new PythonWorkerException(who + ": cannot create its folder under " + SharedMemoryFolder.root() + ": " + e.getMessage(), null, e);
        }
        Path socket = folder.path().resolve("control.sock");
        Process process = null;
        OutputTail output = null;
        AtomicBoolean isReady = new AtomicBoolean();
        AtomicBoolean timedOut = new AtomicBoolean();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            long t0 = System.nanoTime();
            try {
                ProcessBuilder pb = env.processBuilder(List.of("-m", "aim4j.worker", "--socket", socket.toString(),
                        "--dir", folder.path().toString(), "--backend", backend)).redirectErrorStream(true);
                pb.environment().put("PYTHONUNBUFFERED", "1"); // a crash's last words reach the tail
                process = pb.start();
            } catch (IOException e) {
                throw new PythonWorkerException(who + ": cannot run " + env.python() + ": " + e.getMessage(), null, e);
            }
            output = OutputTail.capture(process.getInputStream(), TAIL_BYTES, "python-worker-output-" + process.pid());
            Process p = process;
            // An exit before connecting, or the deadline, closes the server socket and so ends the wait in accept().
            p.onExit().thenRun(() -> closeQuietly(server));
            CompletableFuture.delayedExecutor(timeout.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
                if (!isReady.get()) {
                    timedOut.set(true);
                    p.destroyForcibly();
                }
            });
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (IOException e) {
                throw failure(who, p, output, timedOut.get() ? "was not ready within " + timeout.toSeconds() + " s" : "exited before it was ready", e);
            }
            BufferedReader replies = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
            String line = replies.readLine();
            if (line == null) {
                throw failure(who, p, output, timedOut.get() ? "was not ready within " + timeout.toSeconds() + " s" : "exited before it was ready", null);
            }
            isReady.set(true);
            Duration startup = Duration.ofNanos(System.nanoTime() - t0);
            return new PythonWorker(backend, p, folder, output, channel, replies, startup, JSON.readValue(line, OBJECT));
        } catch (IOException e) {
            if (process != null) {
                process.destroyForcibly();
                waitQuietly(process);
            }
            closeQuietly(folder);
            throw e instanceof PythonWorkerException pe ? pe
                    : failure(who, process, output, "failed to start: " + e.getMessage(), e);
        }
    }

    /** The op's result with no tensors in either direction. */
    public WorkerReply call(String op, Map<String, ?> args) throws PythonWorkerException {
        return call(op, args, new LinkedHashMap<>());
    }

    /**
     * Runs {@code op} ({@code aim4j.module:function}, or a built-in op's bare name such as
     * {@code versions}) on {@code args} (anything Jackson writes as a JSON object) and {@code tensors}.
     * Blocks until the op returns; an op that raises is a {@link PythonWorkerException} whose message
     * is the Python error, and the worker stays usable.
     */
    public synchronized WorkerReply call(String op, Map<String, ?> args, SequencedMap<String, HostTensor> tensors) throws PythonWorkerException {
        String what = "Python worker (backend " + backend + ") op " + op;
        if (dead != null) {
            throw new PythonWorkerException(what + ": the worker " + dead);
        }
        long id = nextId++;
        Path request = tensors.isEmpty() ? null : folder.path().resolve("request-" + id + ".arrow");
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("id", id);
        message.put("op", op);
        message.put("args", args);
        message.put("tensors", request == null ? null : request.toString());
        String encoded;
        try {
            encoded = JSON.writeValueAsString(message); // a JSON string never holds a raw newline
        } catch (JsonProcessingException e) {
            throw new PythonWorkerException(what + ": arguments are not JSON: " + e.getOriginalMessage(), null, e);
        }
        if (request != null) {
            try {
                TensorFile.write(request, tensors, Map.of());
            } catch (IOException e) {
                throw new PythonWorkerException(what + ": cannot write its tensors to " + request + ": " + e.getMessage(), null, e);
            }
        }
        String line;
        try {
            requests.write((encoded + "\n").getBytes(StandardCharsets.UTF_8));
            requests.flush();
            line = replies.readLine();
        } catch (IOException e) {
            line = null; // a broken connection: the worker is gone
        }
        if (line == null) {
            throw died(what);
        }
        return reply(what, line);
    }

    private WorkerReply reply(String what, String line) throws PythonWorkerException {
        Map<String, Object> reply;
        try {
            reply = JSON.readValue(line, OBJECT);
        } catch (JsonProcessingException e) {
            throw new PythonWorkerException(what + ": unreadable reply from the worker: " + e.getOriginalMessage(), null, e);
        }
        if (!Boolean.TRUE.equals(reply.get("ok"))) {
            String error = String.valueOf(reply.get("error")).strip().replaceAll("\\s*\\R\\s*", " ");
            throw new PythonWorkerException(what + " failed: " + error, (String) reply.get("traceback"), null);
        }
        if (!(reply.get("result") instanceof Map<?, ?> m)) {
            throw new PythonWorkerException(what + ": the reply has no result object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) m;
        if (reply.get("tensors") == null) {
            return WorkerReply.withoutTensors(result);
        }
        Path file = Path.of((String) reply.get("tensors"));
        try {
            NamedTensors tensors = TensorFile.read(file);
            return new WorkerReply(result, tensors, file);
        } catch (IOException e) {
            deleteQuietly(file);
            throw new PythonWorkerException(what + ": " + e.getMessage(), null, e);
        }
    }

    /** Marks the worker dead and describes how it ended, with its last output. */
    private PythonWorkerException died(String what) {
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        dead = process.isAlive() ? "closed its connection" : "exited with code " + process.exitValue();
        PythonWorkerException e = failure(what + ":", process, output, "the worker died", null);
        closeQuietly(this);
        return e;
    }

    private static PythonWorkerException failure(String who, Process process, OutputTail output, String problem, Throwable cause) {
        String exit = "";
        if (process != null) {
            waitQuietly(process);
            exit = process.isAlive() ? " (pid " + process.pid() + ")" : " (exit code " + process.exitValue() + ")";
        }
        String tail = "";
        if (output != null) {
            output.awaitEnd(1000);
            String lines = output.lines(TAIL_LINES);
            tail = lines.isEmpty() ? "; it printed nothing" : "; its last output:\n" + lines;
        }
        return new PythonWorkerException(who + " " + problem + exit + tail, null, cause);
    }

    public String backend() {
        return backend;
    }

    /** The worker's process id. */
    public long pid() {
        return process.pid();
    }

    /** The time from starting the process to the worker's ready message. */
    public Duration startupTime() {
        return startup;
    }

    /** The worker's ready message: {@code pid}, {@code backend}, {@code python}, {@code import_seconds}. */
    public Map<String, Object> readyMessage() {
        return ready;
    }

    /** The private folder tensor files are exchanged in. */
    public Path folder() {
        return folder.path();
    }

    /**
     * Ends the worker: the closed socket tells it to exit, which it does after the current op; after a
     * few seconds it is killed. The folder is removed either way. Closing twice is harmless.
     */
    @Override
    public synchronized void close() {
        if (dead == null) {
            dead = "was closed";
        }
        closeQuietly(channel);
        closeQuietly(process.getOutputStream());
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        closeQuietly(folder);
    }

    private static void waitQuietly(Process process) {
        try {
            process.waitFor(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // the folder goes with the worker anyway
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // shutting down: nothing left to report to
        }
    }
}
