package ai.aim4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.run.Precision;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Side-by-side timing taking turns: the order of the calls, the medians of round medians, and contestants that fail. */
class InterleavedTest {
    /** A contestant whose calls take the seconds given per round, logging every request. */
    private record Scripted(String name, double first, double[][] rounds, int failsInRound, List<String> log) implements Contestant {
        private Scripted(String name, double first, double[][] rounds, List<String> log) {
            this(name, first, rounds, -1, log);
        }

        @Override
        public Precision precision() {
            return Precision.FP32;
        }

        @Override
        public double warmUp(int calls, double seconds) throws Unavailable {
            log.add(name + " warm " + calls);
            if (failsInRound == 0) {
                throw new Unavailable("no compiler");
            }
            return first;
        }

        @Override
        public double[] time(int calls, double seconds) throws Unavailable {
            int round = (int) log.stream().filter(l -> l.startsWith(name + " time")).count();
            log.add(name + " time " + calls + " within " + seconds + " s");
            if (round + 1 == failsInRound) {
                throw new Unavailable("torch process failed (exit 137)");
            }
            assertEquals(calls, rounds[round].length);
            return rounds[round];
        }
    }

    @Test
    void everyContestantWarmsUpThenEachRoundTimesAim4jThenEveryPeer() {
        List<String> log = new ArrayList<>();
        // A slow spell in round 2 hits aim4j (3 s a step) and, in round 3, the eager peer (9 s).
        List<Contestant> cs = List.of(
                new Scripted(SideBySide.AIM4J, 5.0, new double[][] {{1.0, 0.9, 1.1}, {3.0, 3.3, 2.7}, {2.0, 2.0, 2.0}}, log),
                new Scripted("torch eager", 6.0, new double[][] {{2.0, 1.8, 2.2}, {2.5, 2.5, 2.5}, {9.0, 9.0, 9.0}}, log));
        List<Contender> rows = Interleaved.measure(cs, new Interleaved.Schedule(4, 0, 3, 30, 3));
        String round = "aim4j time 3 within 30.0 s,torch eager time 3 within 30.0 s,";
        assertEquals(List.of(("aim4j warm 4,torch eager warm 4," + round.repeat(3)).split(",")), log);
        Contender aim4j = rows.get(0);
        Contender eager = rows.get(1);
        assertEquals(2.0, aim4j.medianS(), "the median of the round medians 1.0, 3.0, 2.0");
        assertEquals(0.9, aim4j.minS());
        assertEquals(3.3, aim4j.maxS());
        assertEquals(5.0, aim4j.firstS());
        assertEquals(2.5, eager.medianS());
        assertEquals(9.0, eager.maxS());

        SideBySide table = new SideBySide(64, 1e9, 0.5e9, List.of(new SideBySide.Rate(Precision.FP32, 100, "mm")), null, rows, 3);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        table.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("3 rounds taking turns, aim4j then every peer"), text);
        assertTrue(text.contains("aim4j / best fp32 peer (torch eager): 1.25x"), text);
        // aim4j's GFLOP/s count its own (smaller) FLOPs: 0.5 GFLOP x 64 images / 2 s.
        assertTrue(text.matches("(?s).*aim4j\\s+32\\.00\\s+16\\.0\\s.*"), text);
        assertFalse(text.contains(">100%"), text);

        // A matmul rate measured in a busy spell, below what torch eager reached (25.6 GFLOP/s): no share above 100%, and why.
        SideBySide busy = new SideBySide(64, 1e9, 0.5e9, List.of(new SideBySide.Rate(Precision.FP32, 20, "mm")), null, rows, 3);
        bytes.reset();
        busy.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String busyText = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(busyText.matches("(?s).*aim4j\\s+32\\.00\\s+16\\.0\\s+80%.*"), busyText);
        assertTrue(busyText.matches("(?s).*torch eager\\s+25\\.60\\s+25\\.6\\s+>100%.*"), busyText);
        assertTrue(busyText.contains(">100%: a contender outran the matmul rate"), busyText);
    }

    @Test
    void aContestantThatFailsSitsOutTheLaterRoundsWithItsReason() {
        List<String> log = new ArrayList<>();
        double[][] steady = {{1.0}, {1.0}, {1.0}};
        List<Contestant> cs = List.of(new Scripted(SideBySide.AIM4J, 1, steady, log), new Scripted("torch compile", 1, steady, 0, log),
                new Scripted("jax jit", 1, steady, 2, log));
        List<Contender> rows = Interleaved.measure(cs, new Interleaved.Schedule(1, 0, 1, 30, 3));
        assertTrue(rows.get(0).ran());
        assertEquals("no compiler", rows.get(1).unavailable());
        assertEquals("torch process failed (exit 137)", rows.get(2).unavailable());
        assertEquals(0, log.stream().filter(l -> l.startsWith("torch compile time")).count(), "failed in its warm-up: never timed");
        assertEquals(2, log.stream().filter(l -> l.startsWith("jax jit time")).count(), "failed in round 2: not asked again");
        assertFalse(new SideBySide(1, 1, 1, List.of(), null, rows, 3).best(Precision.FP32).isPresent(), "no peer ran to the end");
    }

    @Test
    void aRoundEndsEarlyAfterItsSecondsOnceThreeCallsAreTimed() {
        Runnable tenMs = () -> {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
        assertEquals(Timing.LEAST_TIMED_CALLS, Timing.times(50, 0.001, tenMs).length, "the seconds pass during the first call");
        assertEquals(2, Timing.times(2, 0.001, tenMs).length, "fewer asked for than the least");
        assertEquals(6, Timing.times(6, 60, tenMs).length, "all of them within the seconds");
        double[] t = Timing.times(50, 0.1, tenMs);
        assertTrue(t.length > Timing.LEAST_TIMED_CALLS && t.length < 50, "ends once 0.1 s have passed: " + t.length + " calls");
        for (double s : t) {
            assertTrue(s >= 0.01, "each call's own seconds: " + s);
        }
    }

    @Test
    void badCountsAreOneErrorLine() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Interleaved.Schedule(3, 10, 0));
        assertEquals("the warm-up must be at least 0 steps, the timed steps and the rounds at least 1; got 3, 10 and 0", e.getMessage());
    }
}
