package ai.aim4j.bench;

import ai.aim4j.dist.BucketedSum;
import ai.aim4j.dist.Collectives;
import ai.aim4j.files.AtomicFiles;
import ai.aim4j.model.AimPretraining;
import ai.aim4j.run.Precision;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The all-reduce benchmark: in-place float32 sums over the ranks by message size (latency and bus
 * bandwidth), the share of a data-parallel pre-training step spent summing gradients for the
 * default {@code bench train} geometries, and from those a model of data-parallel efficiency at
 * larger scale. Every rank of a job runs {@link #rank}; the lead writes what was measured.
 */
public final class AllReduceBench {
    /** Message sizes of the sweep: from one float (latency) to beyond the 25 MB gradient bucket (bandwidth). */
    public static final long[] SIZES = {4, 256, 4L << 10, 64L << 10, 1L << 20, 4L << 20, 25L << 20, 100L << 20};
    /** Bytes the timed calls of one size move at most: 5 to 200 calls, fewer for larger messages (see {@link #iterations}). */
    public static final long BUDGET = 1L << 28;
    /** Per-message latency assumed for a network hop in the model (TCP or RoCE between machines). */
    static final double NETWORK_LATENCY_S = 10e-6;
    /**
     * Untimed training steps of each geometry, a count every rank agrees on (a time would not be: each
     * step all-reduces); at these steps' 0.2-2 s, at least the {@link Timing#WARMUP_SECONDS} the other
     * benchmarks warm up for.
     */
    private static final int WARMUP_STEPS = 4;

    private static final ObjectMapper JSON = new ObjectMapper();

    private AllReduceBench() {}

    /** One size of the sweep: the median seconds of one call. */
    public record Sweep(@JsonProperty("bytes") long bytes, @JsonProperty("seconds") double seconds) {}

    /** One geometry's data-parallel step: median step and communication seconds, and the gradient each rank sums. */
    public record Share(@JsonProperty("geometry") String geometry, @JsonProperty("batch_per_rank") int batchPerRank,
                        @JsonProperty("gradient_bytes") long gradientBytes, @JsonProperty("step_s") double stepS,
                        @JsonProperty("comm_s") double commS) {
        /** The step without its communication. */
        double computeS() {
            return stepS - commS;
        }
    }

    /** Everything one job measured. */
    public record Measured(@JsonProperty("world") int world, @JsonProperty("sweep") List<Sweep> sweep,
                           @JsonProperty("shares") List<Share> shares) {}

    static int iterations(long bytes) {
        return (int) Math.max(5, Math.min(200, BUDGET / bytes));
    }

    /** Untimed calls first: enough for small messages that the JIT has compiled the call path (and the peer makes as many). */
    static int warmup(long bytes) {
        return (int) Math.max(3, Math.min(50000, BUDGET / bytes / 4));
    }

    /** Every rank's part; the lead writes the measurements to {@code out} as JSON. */
    public static void rank(Collectives comm, Path out, int steps) throws IOException {
        List<Sweep> sweep = new ArrayList<>();
        for (long bytes : SIZES) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment values = arena.allocate(bytes, 64);
                sweep.add(new Sweep(bytes, Timing.median(warmup(bytes), iterations(bytes), () -> comm.allReduceFloats(values))[0]));
            }
        }
        List<Share> shares = new ArrayList<>();
        for (TrainBench.Geometry g : TrainBench.defaults()) {
            int batch = Math.max(1, g.batch() / comm.world());
            TrainBench.StepTimes t = TrainBench.stepSeconds(g.config(), batch, WARMUP_STEPS, steps, comm, Precision.FP32);
            shares.add(new Share(g.name(), batch, 4 * trainableParameters(g), t.step()[0], t.commS()));
        }
        if (comm.isLead()) {
            AtomicFiles.writeString(out, JSON.writeValueAsString(new Measured(comm.world(), sweep, shares)));
        }
    }

    private static long trainableParameters(TrainBench.Geometry g) {
        try (AimPretraining model = AimPretraining.initialize(g.config(), 0, DataType.FLOAT32)) {
            return model.trainableParameters().values().stream().mapToLong(p -> p.getShape().size()).sum();
        }
    }

    /** Reads what a job's lead wrote. */
    public static Measured read(Path file) throws IOException {
        return JSON.readValue(file.toFile(), Measured.class);
    }

    /** Bytes each rank sends and receives per byte summed by a ring all-reduce over {@code n} ranks. */
    static double ringFactor(int n) {
        return 2.0 * (n - 1) / n;
    }

    /**
     * Prints the sweep next to the peer's ({@code peer}: seconds by size, or null with {@code whyNoPeer}),
     * the step shares, and the scaling model.
     */
    public static void print(Measured m, List<Sweep> peer, String whyNoPeer, PrintStream out) {
        int n = m.world();
        out.printf("all-reduce over %d ranks, in place, float32 sum: median of single calls%n", n);
        out.printf("  aim4j: Open MPI through the Java FFM; peer: the same MPI_Allreduce called from C%s%n",
                peer == null ? " (not run: " + whyNoPeer + ")" : "");
        out.printf("  %12s %12s %12s %12s %12s %10s%n", "bytes", "aim4j us", "bus GB/s", "C us", "bus GB/s", "aim4j/C");
        for (int i = 0; i < m.sweep().size(); i++) {
            Sweep s = m.sweep().get(i);
            double bus = ringFactor(n) * s.bytes() / s.seconds() / 1e9;
            if (peer == null) {
                out.printf("  %12d %12.1f %12.2f%n", s.bytes(), s.seconds() * 1e6, bus);
            } else {
                Sweep p = peer.get(i);
                out.printf("  %12d %12.1f %12.2f %12.1f %12.2f %10.2f%n", s.bytes(), s.seconds() * 1e6, bus, p.seconds() * 1e6,
                        ringFactor(n) * p.bytes() / p.seconds() / 1e9, s.seconds() / p.seconds());
            }
        }
        out.printf("data-parallel pre-training step over %d ranks (bench train geometries, gradients in %d MB buckets, summed after backward)%n",
                n, BucketedSum.DEFAULT_BUCKET_BYTES >> 20);
        for (Share s : m.shares()) {
            out.printf("  %-16s batch %3d per rank: step %.4f s, all-reduce %.4f s of %.1f MB = %.1f%% of the step%n", s.geometry(),
                    s.batchPerRank(), s.stepS(), s.commS(), s.gradientBytes() / 1e6, 100 * s.commS() / s.stepS());
        }
        out.printf("scaling model: efficiency = compute / (compute + 2(N-1)/N x gradient / bandwidth + 2(N-1) x buckets x %.0f us),%n",
                NETWORK_LATENCY_S * 1e6);
        out.printf("  compute as measured per rank here, the same per-rank batch at every N (weak scaling), no overlap with backward%n");
        int[] ranks = {8, 64, 512};
        double[] gbits = {25, 100};
        out.printf("  %-16s", "");
        for (double g : gbits) {
            for (int r : ranks) {
                out.printf(" %5.0fG/%-4d", g, r);
            }
        }
        out.println();
        for (Share s : m.shares()) {
            out.printf("  %-16s", s.geometry());
            for (double g : gbits) {
                for (int r : ranks) {
                    out.printf(" %10.1f%%", 100 * efficiency(s, r, g * 1e9 / 8));
                }
            }
            out.println();
        }
    }

    /** Predicted data-parallel efficiency of {@code s} over {@code ranks} ranks at {@code bandwidth} bytes/s per rank. */
    static double efficiency(Share s, int ranks, double bandwidth) {
        long buckets = Math.max(1, (s.gradientBytes() + BucketedSum.DEFAULT_BUCKET_BYTES - 1) / BucketedSum.DEFAULT_BUCKET_BYTES);
        double comm = ringFactor(ranks) * s.gradientBytes() / bandwidth + 2.0 * (ranks - 1) * buckets * NETWORK_LATENCY_S;
        return s.computeS() / (s.computeS() + comm);
    }
}
