package ai.aim4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.run.Precision;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Rounds of a side-by-side benchmark merge into one table of medians of medians. */
class SideBySideTest {
    private static SideBySide round(double aim4jS, double eagerS, double compileS, double matmul) {
        List<Contender> contenders = List.of(Contender.timed(SideBySide.AIM4J, Precision.FP32, aim4jS, aim4jS * 0.9, aim4jS * 1.1, 2 * aim4jS),
                Contender.timed("torch eager", Precision.FP32, eagerS, eagerS * 0.9, eagerS * 1.1, 2 * eagerS),
                Double.isNaN(compileS) ? Contender.unavailable("torch compile", Precision.FP32, "no compiler")
                        : Contender.timed("torch compile", Precision.FP32, compileS, compileS, compileS, 30));
        return new SideBySide(64, 1e9, 0.5e9, List.of(new SideBySide.Rate(Precision.FP32, matmul, "mm")), null, contenders);
    }

    @Test
    void eachRowIsTheMedianOfItsRoundsAndTheRatioComesFromThose() {
        // A slow spell in round 2 hits aim4j (3.0 s) and, in round 3, the eager peer (9.0 s).
        SideBySide merged = SideBySide.merge(List.of(round(1.0, 2.0, 4.0, 100), round(3.0, 2.5, 5.0, 50), round(2.0, 9.0, 6.0, 120)));
        Contender aim4j = merged.contenders().get(0);
        Contender eager = merged.contenders().get(1);
        assertEquals(2.0, aim4j.medianS());
        assertEquals(0.9, aim4j.minS(), 1e-12);
        assertEquals(3.3, aim4j.maxS(), 1e-12);
        assertEquals(2.0, aim4j.firstS(), "the first round's first call");
        assertEquals(2.5, eager.medianS());
        assertEquals(5.0, merged.contenders().get(2).medianS());
        assertEquals(100, merged.matmul().getFirst().gflops());
        assertEquals(3, merged.rounds());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        merged.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String table = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(table.contains("3 rounds of aim4j then every peer"), table);
        assertTrue(table.contains("aim4j / best fp32 peer (torch eager): 1.25x"), table);
        // aim4j's GFLOP/s count its own (smaller) FLOPs: 0.5 GFLOP x 64 images / 2 s.
        assertTrue(table.matches("(?s).*aim4j\\s+32\\.00\\s+16\\.0\\s.*"), table);
    }

    @Test
    void aContenderThatFailedInAnyRoundIsReportedAsFailed() {
        SideBySide merged = SideBySide.merge(List.of(round(1.0, 2.0, 4.0, 100), round(1.0, 2.0, Double.NaN, 100)));
        Contender compile = merged.contenders().get(2);
        assertFalse(compile.ran());
        assertEquals("no compiler", compile.unavailable());
    }

    @Test
    void oneRoundIsItself() {
        SideBySide one = round(1.0, 2.0, 4.0, 100);
        assertEquals(one, SideBySide.merge(List.of(one)));
        assertEquals(1, one.rounds());
    }
}
