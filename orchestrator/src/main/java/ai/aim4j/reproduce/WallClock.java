package ai.aim4j.reproduce;

import ai.aim4j.files.AtomicFiles;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The wall time of a reproduction, which is what its time budget is about: the steps' own seconds
 * overlap once several workers run side by side. Each invocation keeps
 * {@code results/wall-START.json} up to date while it runs (every {@link #TICK_SECONDS} seconds and
 * at its end), so an invocation that is killed loses at most one tick, and the report sums them all.
 */
final class WallClock implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TICK_SECONDS = 30;

    /**
     * One invocation's share of the wall time.
     *
     * @param start   when it started
     * @param seconds how long it has run
     * @param jobs    the worker processes it ran side by side (1: it ran the steps itself)
     * @param ranWith the environment it ran in
     */
    record Span(@JsonProperty("start") String start, @JsonProperty("seconds") double seconds, @JsonProperty("jobs") int jobs,
                @JsonProperty("ran_with") Provenance ranWith) {}

    /** The invocations so far, in the order they started, and their total. */
    record Total(List<Span> spans) {
        double seconds() {
            return spans.stream().mapToDouble(Span::seconds).sum();
        }
    }

    private final Path file;
    private final Instant start = Instant.now();
    private final long t0 = System.nanoTime();
    private final int jobs;
    private final Provenance ranWith;
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "aim4j-wall-clock");
        t.setDaemon(true);
        return t;
    });

    private WallClock(Path results, int jobs, Provenance ranWith) {
        this.file = results.resolve("wall-" + start.toEpochMilli() + ".json");
        this.jobs = jobs;
        this.ranWith = ranWith;
    }

    /** Starts counting this invocation in {@code results}. */
    static WallClock start(Path results, int jobs, Provenance ranWith) throws IOException {
        Files.createDirectories(results);
        WallClock clock = new WallClock(results, jobs, ranWith);
        clock.write();
        clock.ticker.scheduleAtFixedRate(() -> {
            try {
                clock.write();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, TICK_SECONDS, TICK_SECONDS, TimeUnit.SECONDS);
        return clock;
    }

    private synchronized void write() throws IOException {
        Span span = new Span(start.toString(), (System.nanoTime() - t0) / 1e9, jobs, ranWith);
        AtomicFiles.writeString(file, JSON.writeValueAsString(span) + "\n");
    }

    /** Stops the ticks and stores this invocation's final time. */
    @Override
    public void close() throws IOException {
        ticker.shutdownNow();
        write();
    }

    /** Every invocation's time stored in {@code results}. */
    static Total total(Path results) throws IOException {
        if (!Files.isDirectory(results)) {
            return new Total(List.of());
        }
        try (Stream<Path> files = Files.list(results)) {
            List<Path> walls = files.filter(p -> p.getFileName().toString().matches("wall-\\d+\\.json")).sorted().toList();
            List<Span> spans = new ArrayList<>();
            for (Path p : walls) {
                try {
                    spans.add(JSON.readValue(p.toFile(), Span.class));
                } catch (IOException e) {
                    throw new IOException(p + ": unreadable wall time (" + e.getMessage() + ")", e);
                }
            }
            return new Total(List.copyOf(spans));
        }
    }
}
