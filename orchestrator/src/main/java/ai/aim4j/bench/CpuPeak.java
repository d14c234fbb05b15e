package ai.aim4j.bench;

import ai.aim4j.run.Precision;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The theoretical peak FLOP/s of the cores a run uses: cores x clock x FLOP per cycle per core,
 * where FLOP per cycle follows the vector instructions {@code /proc/cpuinfo} lists and the number
 * of vector FMA units per core, which {@code /proc/cpuinfo} does not give: it is an assumption
 * ({@link #DEFAULT_FMA_UNITS}, as on server Xeons with AVX-512 and on AMD Zen), overridable.
 *
 * <p>The clock is best measured ({@link CoreClock}): {@code cpu MHz} is the nominal or the current
 * clock (a virtual machine shows the nominal one), while cores run vector code at their boost clock.
 *
 * @param cores physical cores the run's threads occupy (SMT siblings share one core's units)
 * @param ghz the clock
 * @param clockSource where the clock comes from, for the printout
 * @param vector the widest fp32 vector path
 * @param fmaUnits vector FMA units per core (adders and multipliers together, without FMA)
 * @param bf16 the bfloat16 matrix path
 */
public record CpuPeak(int cores, double ghz, String clockSource, Vector vector, int fmaUnits, Bf16 bf16) {
    /** Vector FMA units per core when not told: two, as on server Xeons with AVX-512 and on AMD Zen. */
    public static final int DEFAULT_FMA_UNITS = 2;

    /** The widest fp32 vector path of a core. */
    public enum Vector {
        SSE("SSE", 4, false),
        AVX("AVX without FMA", 8, false),
        AVX2("AVX2 + FMA", 8, true),
        /** AMD family 25 (Zen 4) runs each 512-bit instruction as two 256-bit halves. */
        AVX512_HALF_RATE("AVX-512 on 256-bit units (AMD family 25)", 8, true),
        AVX512("AVX-512", 16, true);

        final String label;
        final int fp32Lanes;
        final boolean fma;

        Vector(String label, int fp32Lanes, boolean fma) {
            this.label = label;
            this.fp32Lanes = fp32Lanes;
            this.fma = fma;
        }
    }

    /** The bfloat16 path of a core's matrix products. */
    public enum Bf16 {
        /** No bf16 arithmetic: bf16 is converted and computed at the fp32 rate. */
        NONE("no bf16 instructions: the fp32 rate"),
        /** VDPBF16PS: a bf16 pair per fp32 lane, twice the fp32 rate. */
        AVX512_BF16("AVX512-BF16: 2x the fp32 rate"),
        /** Intel AMX: TDPBF16PS, 16x32 by 32x16 tiles, 1024 FLOP per cycle per core. */
        AMX("AMX-BF16: 1024 FLOP/cycle");

        final String label;

        Bf16(String label) {
            this.label = label;
        }
    }

    /**
     * The peak of this machine for {@code threads} threads on the CPUs this process may use, from
     * {@code /proc/cpuinfo}, {@code /proc/self/status} and the given or measured clock.
     */
    public static CpuPeak ofThisMachine(int threads, Integer fmaUnits, Double ghz) throws IOException {
        String cpuinfo = Files.readString(Path.of("/proc/cpuinfo"));
        Set<Integer> allowed = allowedCpus(Files.readString(Path.of("/proc/self/status")));
        return ghz != null ? parse(cpuinfo, allowed, threads, fmaUnits, ghz, "given")
                : parse(cpuinfo, allowed, threads, fmaUnits, CoreClock.measureGhz(), "measured; /proc/cpuinfo says " + nominal(cpuinfo));
    }

    /**
     * The peak described by a {@code /proc/cpuinfo} text (its first processor's flags, vendor and
     * family; the cores of every processor) for {@code threads} threads on the {@code allowed}
     * processors (null: all of them) at {@code ghz}.
     *
     * @param fmaUnits vector FMA units per core, or null for {@link #DEFAULT_FMA_UNITS}
     * @throws IllegalArgumentException if the text has no x86 {@code flags} line
     */
    public static CpuPeak parse(String cpuinfo, Set<Integer> allowed, int threads, Integer fmaUnits, double ghz, String clockSource) {
        Map<String, String> first = firstProcessor(cpuinfo);
        String flagLine = first.get("flags");
        if (flagLine == null) {
            throw new IllegalArgumentException("no x86 flags in /proc/cpuinfo: the peak model knows x86 vector units only");
        }
        if (fmaUnits != null && fmaUnits < 1) {
            throw new IllegalArgumentException("FMA units must be at least 1, got " + fmaUnits);
        }
        Set<String> flags = Set.of(flagLine.strip().split("\\s+"));
        boolean zen4 = "AuthenticAMD".equals(first.get("vendor_id")) && "25".equals(first.get("cpu family"));
        Vector vector = flags.contains("avx512f") ? (zen4 ? Vector.AVX512_HALF_RATE : Vector.AVX512)
                : flags.contains("avx2") && flags.contains("fma") ? Vector.AVX2
                : flags.contains("avx") ? Vector.AVX : Vector.SSE;
        Bf16 bf16 = flags.contains("amx_bf16") && flags.contains("amx_tile") ? Bf16.AMX
                : flags.contains("avx512_bf16") ? Bf16.AVX512_BF16 : Bf16.NONE;
        return new CpuPeak(cores(cpuinfo, allowed, threads), ghz, clockSource, vector, fmaUnits != null ? fmaUnits : DEFAULT_FMA_UNITS, bf16);
    }

    /**
     * Physical cores {@code threads} threads occupy on the {@code allowed} processors (null: all): the
     * distinct cores (physical id, core id) of those processors, at most one a thread. Where the text
     * has no core ids, threads over the SMT width. The processors a process may use need not pair up
     * as SMT siblings ({@code taskset -c 0-7} on a machine whose siblings are 16-23 is 8 cores).
     */
    static int cores(String cpuinfo, Set<Integer> allowed, int threads) {
        Set<String> cores = new HashSet<>();
        for (Map<String, String> p : processors(cpuinfo)) {
            String physical = p.get("physical id");
            String core = p.get("core id");
            if (physical != null && core != null && (allowed == null || allowed.contains(integer(p.get("processor"), -1)))) {
                cores.add(physical + "/" + core);
            }
        }
        if (!cores.isEmpty()) {
            return Math.max(1, Math.min(threads, cores.size()));
        }
        Map<String, String> first = firstProcessor(cpuinfo);
        int smt = Math.max(1, integer(first.get("siblings"), 1) / Math.max(1, integer(first.get("cpu cores"), 1)));
        return Math.max(1, (threads + smt - 1) / smt);
    }

    /**
     * The processors in the {@code Cpus_allowed_list} line of a {@code /proc/self/status} text (say
     * {@code 0-3,8,10-11}); null where there is none.
     */
    static Set<Integer> allowedCpus(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("Cpus_allowed_list:")) {
                Set<Integer> cpus = new HashSet<>();
                for (String range : line.substring(line.indexOf(':') + 1).strip().split(",")) {
                    String[] ends = range.strip().split("-");
                    try {
                        int from = Integer.parseInt(ends[0]);
                        int to = ends.length > 1 ? Integer.parseInt(ends[1]) : from;
                        for (int c = from; c <= to; c++) {
                            cpus.add(c);
                        }
                    } catch (NumberFormatException e) {
                        return null;
                    }
                }
                return cpus;
            }
        }
        return null;
    }

    /** fp32 FLOP per cycle per core: lanes x units, x2 for a fused multiply-add. */
    public int fp32FlopsPerCycle() {
        return vector.fp32Lanes * fmaUnits * (vector.fma ? 2 : 1);
    }

    /** bf16 FLOP per cycle per core (matrix products). */
    public int bf16FlopsPerCycle() {
        return switch (bf16) {
            case NONE -> fp32FlopsPerCycle();
            case AVX512_BF16 -> 2 * fp32FlopsPerCycle();
            case AMX -> 1024;
        };
    }

    /** The peak GFLOP/s of a precision. */
    public double gflops(Precision p) {
        return cores * ghz * (p == Precision.FP32 ? fp32FlopsPerCycle() : bf16FlopsPerCycle());
    }

    /** How a precision's peak is made up, for the printout. */
    public String describe(Precision p) {
        String clock = String.format("%d core%s x %.2f GHz", cores, cores == 1 ? "" : "s", ghz);
        if (p == Precision.FP32) {
            return String.format("%s x %d FLOP/cycle (%s: %s%d fp32 lanes x %d FMA unit%s, assumed; --fma-units)", clock, fp32FlopsPerCycle(),
                    vector.label, vector.fma ? "2 FLOP a multiply-add x " : "", vector.fp32Lanes, fmaUnits, fmaUnits == 1 ? "" : "s");
        }
        return String.format("%s x %d FLOP/cycle (%s)", clock, bf16FlopsPerCycle(), bf16.label);
    }

    private static Map<String, String> firstProcessor(String cpuinfo) {
        List<Map<String, String>> all = processors(cpuinfo);
        return all.isEmpty() ? Map.of() : all.getFirst();
    }

    /** Each processor's block of fields, in the text's order. */
    private static List<Map<String, String>> processors(String cpuinfo) {
        List<Map<String, String>> blocks = new ArrayList<>();
        Map<String, String> fields = new HashMap<>();
        for (String line : cpuinfo.split("\n")) {
            if (line.isBlank()) {
                if (!fields.isEmpty()) {
                    blocks.add(fields);
                    fields = new HashMap<>();
                }
                continue;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                fields.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        if (!fields.isEmpty()) {
            blocks.add(fields);
        }
        return blocks;
    }

    private static String nominal(String cpuinfo) {
        String mhz = firstProcessor(cpuinfo).get("cpu MHz");
        try {
            return mhz == null ? "no clock" : String.format("%.2f GHz", Double.parseDouble(mhz) / 1000);
        } catch (NumberFormatException e) {
            return mhz;
        }
    }

    private static int integer(String s, int fallback) {
        try {
            return s == null ? fallback : Integer.parseInt(s.strip());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }
}
