package ai.aim4j.cli;

import ai.aim4j.bench.CpuPeak;
import ai.aim4j.bench.EngineThreads;
import ai.aim4j.bench.Interleaved;
import ai.aim4j.bench.PythonPeers;
import ai.aim4j.interop.worker.PythonEnvironment;
import ai.aim4j.run.Counts;
import ai.aim4j.run.Precision;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** The options of the benchmarks run side by side with PyTorch and JAX, against the theoretical peak. */
final class PeerOptions {
    @Option(names = "--python", description = "the interpreter of the PyTorch and JAX peers (default: AIM4J_PYTHON, else the environment"
            + " ./aim4j python setup made)")
    Path python;

    @Option(names = "--peers", description = "none, or the peers to run side by side, of torch-eager, torch-sdpa, torch-compile,"
            + " torch-autocast, jax-jit, jax-jit-bf16 (default: all; the bf16 ones, torch-autocast and jax-jit-bf16, where the CPU has"
            + " bf16 units)")
    String peers;

    @Option(names = "--dtype", split = ",", description = "aim4j's precisions: fp32, bf16 (mixed precision, PyTorch autocast's"
            + " policy) or both (default: both where the CPU has bf16 units, AMX or AVX512-BF16; else fp32)")
    List<String> dtypes;

    @Option(names = "--fma-units", description = "vector FMA units per core for the theoretical peak; /proc/cpuinfo does not say"
            + " (default: 2, as on server Xeons with AVX-512 and AMD Zen)")
    Integer fmaUnits;

    @Option(names = "--clock-ghz", description = "the clock for the theoretical peak (default: measured on a busy core)")
    Double clockGhz;

    @Option(names = "--rounds", defaultValue = "1", description = "rounds of turns, each timing aim4j then every peer; each row is the"
            + " median of its rounds' medians, so a slow spell of a shared machine falls on every contender alike (default: ${DEFAULT-VALUE})")
    int rounds;

    /**
     * What a benchmark run side by side needs: the theoretical peak (null where unknown), aim4j's
     * precisions, the peers, and their interpreter (null: aim4j runs alone).
     */
    record Setup(CpuPeak peak, List<Precision> precisions, List<String> modes, PythonEnvironment python) {}

    /** The run's set-up, each part printed as it is decided; an error line for a bad flag, before anything is measured or printed. */
    Setup setup(PrintStream out) {
        checkFlags();
        CpuPeak peak = peak(out);
        List<Precision> precisions = precisions(peak, out);
        List<String> modes = modes(peak, out);
        return new Setup(peak, precisions, modes, environment(modes, out));
    }

    /** How the contenders are timed: {@code warmup} untimed calls, then rounds of {@code steps} timed ones; an error line for a bad count. */
    Interleaved.Schedule schedule(int warmup, int steps) {
        return new Interleaved.Schedule(warmup, steps, rounds);
    }

    /**
     * The precisions aim4j runs in; an error line naming an unknown one. By default bf16 joins fp32 only
     * where {@code peak} says the CPU has bf16 units: without them libtorch computes bf16 products at
     * about 1% of the fp32 rate, and a bf16 row would take minutes to say so.
     */
    List<Precision> precisions(CpuPeak peak, PrintStream out) {
        if (dtypes != null) {
            return dtypes.stream().map(Precision::of).distinct().toList();
        }
        if (hasBf16Units(peak)) {
            return List.of(Precision.FP32, Precision.BF16);
        }
        out.println("aim4j bf16: not measured, no bf16 units on this CPU (--dtype fp32,bf16 measures it anyway)");
        return List.of(Precision.FP32);
    }

    /**
     * The peers asked for, an error line naming an unknown one; by default every peer, but the bf16
     * ones only where {@code peak} says the CPU has bf16 units, as {@link #precisions} decides for aim4j
     * (without them a bf16 peer computes at about 1% of the fp32 rate and takes minutes to say so).
     */
    List<String> modes(CpuPeak peak, PrintStream out) {
        if (peers != null) {
            return PythonPeers.parseModes(peers);
        }
        if (hasBf16Units(peak)) {
            return PythonPeers.MODES;
        }
        out.println("peers bf16: not measured, no bf16 units on this CPU (--peers naming torch-autocast or jax-jit-bf16 measures them anyway)");
        return PythonPeers.MODES.stream().filter(m -> PythonPeers.precision(m) == Precision.FP32).toList();
    }

    /**
     * The peers' interpreter: {@code --python}, else {@link PythonEnvironment#ifSetUp()}; null, with
     * one line saying how to get one, when none is set up (or no peer is asked for).
     */
    PythonEnvironment environment(List<String> modes, PrintStream out) {
        if (modes.isEmpty()) {
            return null;
        }
        if (python != null) {
            return PythonEnvironment.of(python);
        }
        PythonEnvironment env = PythonEnvironment.ifSetUp().orElse(null);
        if (env == null) {
            out.println(PythonPeers.NO_ENVIRONMENT);
        }
        return env;
    }

    /** The theoretical peak, after printing how it is made up; null, with the reason, where it is unknown. */
    private CpuPeak peak(PrintStream out) {
        try {
            CpuPeak peak = CpuPeak.ofThisMachine(EngineThreads.count(), fmaUnits, clockGhz);
            for (Precision p : Precision.values()) {
                out.printf("peak %s  %.0f GFLOP/s = %s%n", p, peak.gflops(p), peak.describe(p));
            }
            out.printf("clock      %.2f GHz, %s%n", peak.ghz(), peak.clockSource());
            return peak;
        } catch (IOException | IllegalArgumentException e) {
            out.println("peak: unknown (" + e.getMessage() + ")");
            return null;
        }
    }

    /** Refuses a bad flag with an error line. */
    private void checkFlags() {
        if (clockGhz != null && !(clockGhz > 0)) {
            throw new IllegalArgumentException("--clock-ghz must be positive, got " + clockGhz);
        }
        if (fmaUnits != null) {
            Counts.atLeast("--fma-units", fmaUnits, 1);
        }
        if (dtypes != null) {
            dtypes.forEach(Precision::of);
        }
        if (peers != null) {
            PythonPeers.parseModes(peers);
        }
    }

    /** Whether {@code peak} says the CPU has bf16 units (AMX or AVX512-BF16); false where the peak is unknown. */
    private static boolean hasBf16Units(CpuPeak peak) {
        return peak != null && peak.bf16() != CpuPeak.Bf16.NONE;
    }
}
