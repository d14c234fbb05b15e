package ai.aim4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.run.Precision;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The peak model: vector units and bf16 paths from /proc/cpuinfo texts of known CPUs, and the measured clock. */
class CpuPeakTest {
    private static final String SSE = "fpu sse sse2 ssse3 sse4_1 sse4_2";
    private static final String AVX2 = SSE + " avx fma avx2";
    private static final String AVX512 = AVX2 + " avx512f avx512dq avx512bw avx512vl avx512_vnni";

    /** The first processor's block of a /proc/cpuinfo, a second one after it, as the kernel writes them. */
    private static String cpuinfo(String vendor, int family, String flags, int siblings, int cores) {
        String block = "processor\t: %d\nvendor_id\t: " + vendor + "\ncpu family\t: " + family + "\ncpu MHz\t\t: 2100.000\nsiblings\t: " + siblings
                + "\ncpu cores\t: " + cores + "\nflags\t\t: " + flags + "\n\n";
        return block.formatted(0) + block.formatted(1).replace(flags, "fpu");
    }

    @Test
    void sapphireRapidsHasAvx512AndAmxAndCountsPhysicalCores() {
        CpuPeak p = CpuPeak.parse(cpuinfo("GenuineIntel", 6, AVX512 + " avx512_bf16 amx_bf16 amx_tile amx_int8", 4, 2), null, 4, null, 2.0, "given");
        assertEquals(2, p.cores(), "4 threads on 2-way SMT cores occupy 2 cores");
        assertEquals(64, p.fp32FlopsPerCycle()); // 16 lanes x 2 FMA units x 2
        assertEquals(1024, p.bf16FlopsPerCycle());
        assertEquals(2 * 2.0 * 64, p.gflops(Precision.FP32), 1e-9);
        assertEquals(2 * 2.0 * 1024, p.gflops(Precision.BF16), 1e-9);
        assertTrue(p.describe(Precision.FP32).contains("2 FMA units, assumed"), p.describe(Precision.FP32));
    }

    @Test
    void amdZen4RunsAvx512AtTheAvx2RateAndZen5AtTwiceIt() {
        CpuPeak zen4 = CpuPeak.parse(cpuinfo("AuthenticAMD", 25, AVX512 + " avx512_bf16", 2, 2), null, 2, null, 3.0, "given");
        assertEquals(CpuPeak.Vector.AVX512_HALF_RATE, zen4.vector());
        assertEquals(32, zen4.fp32FlopsPerCycle());
        assertEquals(64, zen4.bf16FlopsPerCycle());
        CpuPeak zen5 = CpuPeak.parse(cpuinfo("AuthenticAMD", 26, AVX512 + " avx512_bf16", 2, 2), null, 2, null, 3.0, "given");
        assertEquals(64, zen5.fp32FlopsPerCycle());
        assertEquals(128, zen5.bf16FlopsPerCycle());
    }

    @Test
    void olderVectorUnitsAndTheFmaUnitOverride() {
        CpuPeak haswell = CpuPeak.parse(cpuinfo("GenuineIntel", 6, AVX2, 8, 4), null, 8, null, 3.0, "given");
        assertEquals(32, haswell.fp32FlopsPerCycle());
        assertEquals(32, haswell.bf16FlopsPerCycle(), "no bf16 instructions: the fp32 rate");
        assertEquals(4, haswell.cores());
        CpuPeak sandyBridge = CpuPeak.parse(cpuinfo("GenuineIntel", 6, SSE + " avx", 4, 4), null, 4, null, 3.0, "given");
        assertEquals(16, sandyBridge.fp32FlopsPerCycle(), "an 8-wide adder and an 8-wide multiplier");
        assertEquals(8, CpuPeak.parse(cpuinfo("GenuineIntel", 6, SSE, 1, 1), null, 1, null, 3.0, "given").fp32FlopsPerCycle());
        CpuPeak oneUnit = CpuPeak.parse(cpuinfo("GenuineIntel", 6, AVX512, 2, 2), null, 2, 1, 3.0, "given");
        assertEquals(32, oneUnit.fp32FlopsPerCycle());
        assertTrue(oneUnit.describe(Precision.FP32).contains("1 FMA unit,"), oneUnit.describe(Precision.FP32));
    }

    /**
     * A 2-socket machine of 4 cores a socket with 2-way SMT, numbered as Linux numbers Intel's: the
     * first threads of all cores (0-7), then their siblings (8-15).
     */
    private static String smtMachine() {
        StringBuilder text = new StringBuilder();
        for (int cpu = 0; cpu < 16; cpu++) {
            int core = cpu % 8;
            text.append("processor\t: ").append(cpu).append("\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nphysical id\t: ").append(core / 4)
                    .append("\nsiblings\t: 8\ncore id\t\t: ").append(core % 4).append("\ncpu cores\t: 4\nflags\t\t: ").append(AVX512).append("\n\n");
        }
        return text.toString();
    }

    @Test
    void coresAreTheDistinctCoresOfTheProcessorsThisProcessMayUse() {
        String cpuinfo = smtMachine();
        assertEquals(8, CpuPeak.parse(cpuinfo, null, 16, null, 2.0, "given").cores(), "16 threads on 8 cores");
        assertEquals(8, CpuPeak.parse(cpuinfo, CpuPeak.allowedCpus("Name:\tjava\nCpus_allowed_list:\t0-7\n"), 8, null, 2.0, "given").cores(),
                "taskset -c 0-7: one thread on each of 8 cores, not 4 pairs of siblings");
        assertEquals(1, CpuPeak.parse(cpuinfo, CpuPeak.allowedCpus("Cpus_allowed_list:\t0,8\n"), 2, null, 2.0, "given").cores(),
                "two siblings share a core");
        assertEquals(2, CpuPeak.parse(cpuinfo, CpuPeak.allowedCpus("Cpus_allowed_list:\t2,4-5,12\n"), 2, null, 2.0, "given").cores(),
                "no more cores than threads");
        assertEquals(Set.of(2, 4, 5, 12), CpuPeak.allowedCpus("Cpus_allowed:\tff\nCpus_allowed_list:\t2,4-5,12\n"));
        assertNull(CpuPeak.allowedCpus("Name:\tjava\n"), "no list: every processor");
    }

    @Test
    void aCpuinfoWithoutX86FlagsIsRefused() {
        String arm = "processor\t: 0\nFeatures\t: fp asimd sve\nCPU implementer\t: 0x41\n";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CpuPeak.parse(arm, null, 1, null, 3.0, "given"));
        assertTrue(e.getMessage().contains("no x86 flags"), e.getMessage());
    }

    @Test
    void theMeasuredClockIsAPlausibleClock() {
        // A folded chain (a compiler computing it in closed form) would give hundreds of GHz; a busy
        // shared core still runs at well over 0.5 GHz.
        double ghz = CoreClock.measureGhz();
        assertTrue(ghz > 0.5 && ghz < 7, ghz + " GHz");
    }
}
