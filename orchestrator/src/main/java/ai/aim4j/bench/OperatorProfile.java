package ai.aim4j.bench;

import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the time of some calls of aim4j's work goes, from libtorch's own profiler: the trace it writes
 * (Chrome's trace format, for Perfetto or {@code chrome://tracing}), the top-level operators of every
 * thread by time per call (autograd's backward functions included, each with what it ran inside), and
 * the matrix products by shape with the rate each reached, which is where a slow kernel shows.
 *
 * @param calls    the profiled calls the times are divided by
 * @param operators top-level operators, most time first
 * @param products  matrix products ({@code aten::mm}, {@code aten::addmm}, {@code aten::bmm}) by shape, most time first
 */
public record OperatorProfile(int calls, List<Row> operators, List<Row> products) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Operators and product shapes the benchmarks print. */
    public static final int ROWS = 12;

    /**
     * One operator, or one product shape.
     *
     * @param name    the operator, with the operands' shapes for a product
     * @param micros  microseconds in all the profiled calls
     * @param count   how many times it ran
     * @param flops   the floating-point operations of those runs (products only; 0 otherwise)
     */
    public record Row(String name, double micros, long count, double flops) {}

    /** Runs {@code work} {@code calls} times under libtorch's profiler, writes the trace to {@code trace} and reads it back. */
    public static OperatorProfile record(Runnable work, int calls, Path trace) throws IOException {
        JniUtils.startProfile(false, true, false);
        try {
            for (int i = 0; i < calls; i++) {
                work.run();
            }
        } finally {
            JniUtils.stopProfile(trace.toString());
        }
        return read(trace, calls);
    }

    /** The profile of {@code calls} calls from a trace libtorch wrote (a JSON array of complete events, or an object holding them as {@code traceEvents}). */
    public static OperatorProfile read(Path trace, int calls) throws IOException {
        JsonNode root = JSON.readTree(trace.toFile());
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        Map<String, List<JsonNode>> byThread = new HashMap<>();
        Map<String, Row> products = new HashMap<>();
        for (JsonNode e : events) {
            if (!"X".equals(e.path("ph").asText()) || !e.has("dur")) {
                continue;
            }
            byThread.computeIfAbsent(e.path("tid").asText(), t -> new ArrayList<>()).add(e);
            double flops = productFlops(e.path("name").asText(), e.path("shape"));
            if (flops > 0) {
                String product = e.path("name").asText() + " " + e.path("shape");
                products.merge(product, new Row(product, e.path("dur").asDouble(), 1, flops), OperatorProfile::sum);
            }
        }
        Map<String, Row> operators = new HashMap<>();
        for (List<JsonNode> thread : byThread.values()) {
            // Longest first among events that start together: the enclosing one is the top-level one.
            thread.sort(Comparator.<JsonNode>comparingDouble(e -> e.path("ts").asDouble()).thenComparingDouble(e -> -e.path("dur").asDouble()));
            double end = Double.NEGATIVE_INFINITY;
            for (JsonNode e : thread) {
                double start = e.path("ts").asDouble();
                if (start >= end) {
                    String name = e.path("name").asText();
                    operators.merge(name, new Row(name, e.path("dur").asDouble(), 1, 0), OperatorProfile::sum);
                    end = start + e.path("dur").asDouble();
                }
            }
        }
        return new OperatorProfile(calls, mostTimeFirst(operators), mostTimeFirst(products));
    }

    /** Prints the {@code rows} heaviest operators and products, per call. */
    public void print(PrintStream out, int rows) {
        double total = operators.stream().mapToDouble(Row::micros).sum();
        out.printf("    top-level operators, %.1f ms a call in all%n", total / calls / 1e3);
        for (Row r : operators.subList(0, Math.min(rows, operators.size()))) {
            out.printf("      %-62s %9.2f ms %7.1f calls%n", clip(r.name()), r.micros() / calls / 1e3, (double) r.count() / calls);
        }
        out.printf("    matrix products by shape%n");
        for (Row r : products.subList(0, Math.min(rows, products.size()))) {
            out.printf("      %-62s %9.2f ms %7.1f calls %7.0f GFLOP/s%n", clip(r.name()), r.micros() / calls / 1e3, (double) r.count() / calls,
                    r.flops() / r.micros() / 1e3);
        }
    }

    /**
     * The FLOPs of one product from its operands' shapes as the profiler records them: {@code mm}
     * {@code [[M, K], [K, N]]}, {@code addmm} {@code [[..], [M, K], [K, N], ..]}, {@code bmm}
     * {@code [[B, M, K], [B, K, N]]}; 0 for any other operator.
     */
    static double productFlops(String name, JsonNode shape) {
        return switch (name) {
            case "aten::mm" -> shape.size() >= 2 ? matmul(shape.get(0), shape.get(1), 2) : 0;
            case "aten::addmm" -> shape.size() >= 3 ? matmul(shape.get(1), shape.get(2), 2) : 0;
            case "aten::bmm" -> shape.size() >= 2 ? matmul(shape.get(0), shape.get(1), 3) : 0;
            default -> 0;
        };
    }

    private static double matmul(JsonNode a, JsonNode b, int rank) {
        if (a.size() != rank || b.size() != rank) {
            return 0;
        }
        double batch = rank == 3 ? a.get(0).asDouble() : 1;
        return 2 * batch * a.get(rank - 2).asDouble() * a.get(rank - 1).asDouble() * b.get(rank - 1).asDouble();
    }

    private static Row sum(Row a, Row b) {
        return new Row(a.name(), a.micros() + b.micros(), a.count() + b.count(), a.flops() + b.flops());
    }

    private static List<Row> mostTimeFirst(Map<String, Row> rows) {
        return rows.values().stream().sorted(Comparator.comparingDouble(Row::micros).reversed()).toList();
    }

    private static String clip(String name) {
        return name.length() <= 62 ? name : name.substring(0, 59) + "...";
    }
}
