package ai.aim4j.bench;

import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.run.Precision;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One framework's peer process, {@code python -m aim4j.bench_peers}: it answers timing requests, one
 * JSON line each way, and keeps every mode it built, so that the benchmark can take turns. Its stderr
 * goes to a log whose last line is the reason given when the process dies.
 */
final class PeerProcess implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The longest a peer may take to answer one request (its start, a mode's warm-up, one round):
     * compiling a mode takes minutes at most and JAX's slowest bf16 steps tens of seconds, so a peer
     * silent for longer has hung, and is stopped rather than holding the benchmark forever.
     */
    static final Duration ANSWER_DEADLINE = Duration.ofMinutes(20);

    private final String framework;
    private final Process process;
    private final Writer requests;
    private final BufferedReader replies;
    private final Path log;
    private final JsonNode header;
    private final Duration deadline;
    private volatile boolean silent;
    private String failure;

    private PeerProcess(String framework, Process process, Path log, Duration deadline) {
        this.framework = framework;
        this.process = process;
        this.log = log;
        this.deadline = deadline;
        this.requests = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        this.replies = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        JsonNode first = null;
        try {
            first = read();
        } catch (Contestant.Unavailable e) {
            failure = e.getMessage();
        }
        this.header = first;
    }

    /**
     * Starts the peers of {@code framework} ({@code torch} or {@code jax}) and reads their first line
     * (version, matmul rates); a process that fails to start, or gives no answer to a request within
     * {@code deadline} ({@link #ANSWER_DEADLINE} in the benchmarks), makes every mode unavailable.
     */
    static PeerProcess start(PythonEnvironment env, String framework, String task, Path config, int batch, int threads, Path log,
                             Duration deadline) throws IOException {
        List<String> args = List.of("-m", "aim4j.bench_peers", task, "--framework", framework, "--config", config.toString(),
                "--batch", Integer.toString(batch), "--threads", Integer.toString(threads));
        return new PeerProcess(framework, env.process(args).redirectError(log.toFile()).start(), log, deadline);
    }

    /** The framework and its version, as {@code torch 2.13.0+cpu}. */
    String version() {
        return framework + " " + (header == null ? "?" : header.path("version").asText());
    }

    /**
     * The matmul rates the process measured at its start (PyTorch only): per precision, {@code fp32}
     * and {@code bf16}, the {@code gflops} of a square product of side {@code size}.
     */
    JsonNode matmul() {
        return header == null ? JSON.createObjectNode() : header.path("matmul");
    }

    /** The contestant of one of its modes. */
    Contestant mode(String name, String mode, Precision precision) {
        return new Contestant() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Precision precision() {
                return precision;
            }

            @Override
            public double warmUp(int calls, double seconds) throws Unavailable {
                ObjectNode r = request("warm", mode).put("warmup", calls).put("warmup_s", seconds);
                return reply(r).path("first_s").asDouble();
            }

            @Override
            public double[] time(int calls, double seconds) throws Unavailable {
                ObjectNode r = request("time", mode).put("steps", calls).put("budget_s", seconds).put("least", Timing.LEAST_TIMED_CALLS);
                JsonNode times = reply(r).path("times");
                double[] t = new double[times.size()];
                for (int i = 0; i < t.length; i++) {
                    t[i] = times.get(i).asDouble();
                }
                if (t.length > calls || t.length < Math.min(calls, Timing.LEAST_TIMED_CALLS)) {
                    throw new Unavailable(framework + " process answered " + t.length + " times for " + calls + " steps");
                }
                return t;
            }
        };
    }

    private static ObjectNode request(String op, String mode) {
        return JSON.createObjectNode().put("op", op).put("mode", mode);
    }

    /** Sends one request and reads its answer; a mode's error is that mode's reason, a dead process every mode's. */
    private JsonNode reply(ObjectNode request) throws Contestant.Unavailable {
        if (failure != null) {
            throw new Contestant.Unavailable(failure);
        }
        try {
            requests.write(JSON.writeValueAsString(request) + "\n");
            requests.flush();
        } catch (IOException e) {
            failure = died();
            throw new Contestant.Unavailable(failure);
        }
        JsonNode answer = read();
        if (answer.has("error")) {
            throw new Contestant.Unavailable(answer.get("error").asText());
        }
        return answer;
    }

    /** The next answer, within the deadline: a process silent for longer is stopped, which ends its output. */
    private JsonNode read() throws Contestant.Unavailable {
        CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> {
            silent = true;
            process.destroyForcibly();
        }, CompletableFuture.delayedExecutor(deadline.toMillis(), TimeUnit.MILLISECONDS));
        try {
            String line = replies.readLine();
            if (line != null) {
                return JSON.readTree(line);
            }
        } catch (IOException e) {
            // The process died mid-line or wrote something else: either way it is the process's failure.
        } finally {
            watchdog.cancel(false);
        }
        failure = died();
        throw new Contestant.Unavailable(failure);
    }

    /** Why the process stopped answering: its exit status and the last line of its log, or its silence. */
    private String died() {
        if (silent) {
            return framework + " process gave no answer within " + deadline.toSeconds() + " s and was stopped";
        }
        String code;
        try {
            code = process.waitFor(10, TimeUnit.SECONDS) ? "exit " + process.exitValue() : "no answer";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            code = "interrupted";
        }
        String last = "";
        try {
            List<String> lines = Files.readAllLines(log);
            last = lines.isEmpty() ? "" : ": " + lines.getLast();
        } catch (IOException e) {
            // No log to quote: the status alone says it.
        }
        return framework + " process failed (" + code + ")" + last;
    }

    /** Ends the process: end of its input, then killed if it has not exited within 10 s. */
    @Override
    public void close() throws InterruptedException {
        try {
            requests.close();
        } catch (IOException e) {
            // Already gone.
        }
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
