package ai.aim4j.reproduce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The targets judged on crafted result sets just either side of each bar. With 3 seeds the 95%
 * interval's half-width is t(0.975, 2) = 4.3027 times the standard error; values {m - d, m, m + d}
 * have a standard error of d / sqrt(3), so a half-width of 2.4842 d.
 */
class TargetsTest {
    private static final Provenance ENV = new Provenance("test", "0", "java", "engine", "os", "cpu", 2, 0);

    /** Three seeds of two sizes with these final losses and probes (fractions), checkpoints perfectly anti-ordered. */
    private static Findings findings(boolean quick, double[][] loss, double[][] probe, double[] random, double[] pixels,
                                     List<double[]> data) {
        ReproducePlan plan = ReproductionTest.tinyPlan();
        plan = new ReproducePlan(plan.dataset(), quick, plan.image(), plan.channels(), plan.trainImages(), plan.valImages(), plan.testImages(),
                plan.widths(), plan.depth(), plan.patch(), plan.headWidth(), plan.headBlocks(), plan.steps(), plan.batch(), plan.lr(),
                plan.checkpoints(), plan.valSamples(), plan.checkpointProbe(), plan.finalProbe(), 0, random.length, List.of(), 500, null);
        Results.DataPart part = new Results.DataPart("d", 1, "c");
        Results.Data d = new Results.Data(part, part, part, List.of(), 0, ENV);
        List<Findings.Trial> trials = new ArrayList<>();
        for (int s = 0; s < random.length; s++) {
            List<Results.Run> runs = new ArrayList<>();
            List<Results.Probe> checkpoints = new ArrayList<>();
            List<Results.Probe> finals = new ArrayList<>();
            for (int i = 0; i < loss.length; i++) {
                int w = plan.widths().get(i);
                runs.add(new Results.Run(w, "w" + w, s, 480, 1, "r", 0, List.of(new Results.Checkpoint(6, loss[i][s], "m", "h")), "c", ENV));
                finals.add(probe(w, null, s, loss[i][s], probe[i][s]));
                // Checkpoints: loss falls and accuracy rises together, so Spearman is -1.
                for (int c = 0; c < 3; c++) {
                    checkpoints.add(probe(w, (long) c, s, 1 - 0.1 * c - 0.01 * i - 0.001 * s, 0.5 + 0.1 * c + 0.01 * i + 0.001 * s));
                }
            }
            trials.add(new Findings.Trial(s, runs, checkpoints, finals, probe(null, null, s, null, random[s]), probe(null, null, s, null, pixels[s])));
        }
        List<Findings.DataPoint> scaling = new ArrayList<>();
        for (double[] p : data) {
            Results.Run run = new Results.Run(64, "w64", 0, (long) p[0], 1, "r", 0, List.of(new Results.Checkpoint(6, p[1], "m", "h")), "c", ENV);
            scaling.add(new Findings.DataPoint((long) p[0], run, probe(64, null, 0, p[1], p[2])));
        }
        return new Findings(plan, d, trials, scaling, new WallClock.Total(List.of(new WallClock.Span("2026-01-01T00:00:00Z", 60, 1, ENV))));
    }

    private static Results.Probe probe(Integer width, Long step, long seed, Double valLoss, double top1) {
        return new Results.Probe(width, step, seed, null, valLoss, top1, top1, 0.01, 1, 1, 0, "c", ENV);
    }

    private static double[] around(double m, double d) {
        return new double[] {m - d, m, m + d};
    }

    private static Target named(List<Target> targets, String start) {
        return targets.stream().filter(t -> t.name().startsWith(start)).findFirst().orElseThrow();
    }

    private static final double[][] GOOD_PROBE = {around(0.85, 0.001), around(0.87, 0.001)};
    private static final double[] RANDOM = around(0.815, 0.001);
    private static final double[] PIXELS = around(0.8, 0.001);

    @Test
    void lossOrderNeedsNeighboursIntervalsApart() {
        // Size 0: 0.300 +- 0.0024842, low 0.2975158. Size 1 at 0.2950 reaches up to 0.2974842: apart by 3e-5.
        List<Target> apart = Targets.evaluate(findings(false, new double[][] {around(0.3, 0.001), around(0.295, 0.001)}, GOOD_PROBE, RANDOM,
                PIXELS, List.of()));
        assertTrue(named(apart, "Larger models").pass(), named(apart, "Larger models").measured());
        assertEquals("0.3000 [0.2975, 0.3025] > 0.2950 [0.2925, 0.2975]", named(apart, "Larger models").measured());
        // At 0.2951 its upper bound 0.2975842 overlaps: the means are still ordered, the target fails.
        List<Target> overlap = Targets.evaluate(findings(false, new double[][] {around(0.3, 0.001), around(0.2951, 0.001)}, GOOD_PROBE,
                RANDOM, PIXELS, List.of()));
        assertFalse(named(overlap, "Larger models").pass());
    }

    @Test
    void oneSeedHasNoIntervalSoIntervalTargetsFail() {
        List<Target> one = Targets.evaluate(findings(false, new double[][] {{0.3}, {0.2}}, new double[][] {{0.85}, {0.9}}, new double[] {0.8},
                new double[] {0.7}, List.of()));
        assertFalse(named(one, "Larger models").pass());
        assertFalse(named(one, "Pre-trained beats").pass());
        assertFalse(named(one, "Best probe").pass());
        assertEquals("0.3000 > 0.2000", named(one, "Larger models").measured());
    }

    @Test
    void randomTrunkMarginNeedsItsMeanAndItsLowerBound() {
        double[][] loss = {around(0.3, 0.001), around(0.29, 0.001)};
        // Margins {5.0, 5.5, 6.0} points: mean 5.5, half-width 2.4842 x 0.5 = 1.242, low 4.258 >= 3.
        double[][] probe = {around(0.85, 0.001), {0.865, 0.87, 0.875}};
        assertTrue(named(Targets.evaluate(findings(false, loss, probe, around(0.815, 0), PIXELS, List.of())), "Pre-trained beats").pass());
        // Margins {4.9, 4.95, 5.0}: tight, but the mean is below 5.
        double[][] close = {around(0.85, 0.001), {0.864, 0.8645, 0.865}};
        assertFalse(named(Targets.evaluate(findings(false, loss, close, around(0.815, 0), PIXELS, List.of())), "Pre-trained beats").pass());
        // Margins {3.0, 5.5, 8.0}: mean 5.5, half-width 6.21, low -0.71 < 3.
        double[][] spread = {around(0.85, 0.001), {0.845, 0.87, 0.895}};
        Target wide = named(Targets.evaluate(findings(false, loss, spread, around(0.815, 0), PIXELS, List.of())), "Pre-trained beats");
        assertFalse(wide.pass());
        assertTrue(wide.measured().startsWith("+5.50 points [-0.71, +11.71]"), wide.measured());
        // The quick run asks only for a mean of 2 points.
        Target quick = named(Targets.evaluate(findings(true, loss, spread, around(0.815, 0), PIXELS, List.of())), "Pre-trained beats");
        assertTrue(quick.pass() && quick.counts());
    }

    @Test
    void pixelMarginMustExceedItsHalfWidth() {
        double[][] loss = {around(0.3, 0.001), around(0.29, 0.001)};
        // Best size minus pixels, {+0.2, +0.4, +0.6} points: half-width 2.4842 x 0.2 = 0.497 > 0.4: fails.
        double[][] wide = {around(0.80, 0.001), {0.802, 0.804, 0.806}};
        assertFalse(named(Targets.evaluate(findings(false, loss, wide, around(0.7, 0.001), around(0.8, 0), List.of())), "Best probe").pass());
        // {+0.3, +0.4, +0.5}: half-width 0.248 < 0.4: holds.
        double[][] tight = {around(0.80, 0.001), {0.803, 0.804, 0.805}};
        assertTrue(named(Targets.evaluate(findings(false, loss, tight, around(0.7, 0.001), around(0.8, 0), List.of())), "Best probe").pass());
    }

    @Test
    void correlationNeedsBothTheEstimateAndTheUpperBound() {
        List<Target> t = Targets.evaluate(findings(false, new double[][] {around(0.3, 0.001), around(0.29, 0.001)}, GOOD_PROBE, RANDOM,
                PIXELS, List.of()));
        Target rho = named(t, "Validation loss tracks");
        assertTrue(rho.pass(), rho.measured());
        assertEquals("-1.000 [-1.000, -1.000]", rho.measured());
        assertTrue(rho.name().contains("all 18 checkpoints"), rho.name());
    }

    @Test
    void dataScalingIsJudgedOnOrderAndOnlyWhenPlanned() {
        double[][] loss = {around(0.3, 0.001), around(0.29, 0.001)};
        List<double[]> ordered = List.of(new double[] {100, 0.32, 0.80}, new double[] {300, 0.31, 0.82}, new double[] {480, 0.30, 0.83});
        List<Target> t = Targets.evaluate(findings(false, loss, GOOD_PROBE, RANDOM, PIXELS, ordered));
        assertTrue(named(t, "Final validation loss falls").pass());
        assertTrue(named(t, "Final probe accuracy rises").pass());
        assertEquals("100: 0.3200 > 300: 0.3100 > 480: 0.3000", named(t, "Final validation loss falls").measured());
        List<double[]> tie = List.of(new double[] {100, 0.32, 0.80}, new double[] {300, 0.31, 0.82}, new double[] {480, 0.31, 0.81});
        List<Target> bad = Targets.evaluate(findings(false, loss, GOOD_PROBE, RANDOM, PIXELS, tie));
        assertFalse(named(bad, "Final validation loss falls").pass(), "equal losses are not a fall");
        assertFalse(named(bad, "Final probe accuracy rises").pass());
        assertEquals(5, Targets.evaluate(findings(false, loss, GOOD_PROBE, RANDOM, PIXELS, List.of())).size(), "no data-scaling targets");
        // Everything above holds: the full run passes, and the quick run counts only its margin and its time.
        assertTrue(new Report.Outcome(null, t, "").passed());
        List<Target> quick = Targets.evaluate(findings(true, loss, GOOD_PROBE, RANDOM, PIXELS, ordered));
        assertEquals(List.of("Pre-trained beats", "Quick run"), quick.stream().filter(Target::counts)
                .map(x -> x.name().substring(0, x.name().indexOf(' ', x.name().indexOf(' ') + 1))).toList());
    }

    @Test
    void theTimeBudgetIsWallTimeSummedOverInvocations() {
        Findings f = findings(false, new double[][] {{0.40, 0.41, 0.42}, {0.30, 0.31, 0.32}}, GOOD_PROBE, RANDOM, PIXELS, List.of());
        assertEquals("1.0 min", named(Targets.evaluate(f), "Full run time").measured());
        // Two invocations of 100 and 90 minutes (the first interrupted): 190 minutes, over the 180-minute budget,
        // however little of it the steps' own seconds account for.
        WallClock.Total twice = new WallClock.Total(List.of(new WallClock.Span("2026-01-01T00:00:00Z", 6_000, 2, ENV),
                new WallClock.Span("2026-01-02T00:00:00Z", 5_400, 2, ENV)));
        Target time = named(Targets.evaluate(new Findings(f.plan(), f.data(), f.trials(), f.dataScaling(), twice)), "Full run time");
        assertEquals("190.0 min", time.measured());
        assertFalse(time.pass());
    }

    @Test
    void plansRoundTripThroughJson() throws Exception {
        ObjectMapper json = new ObjectMapper();
        for (ReproducePlan plan : List.of(ReproducePlan.full("fmnist"), ReproducePlan.quick("synthetic"), ReproductionTest.tinyPlan())) {
            String text = plan.toJson().toString();
            assertEquals(plan, json.readValue(text, ReproducePlan.class), text);
        }
        ReproducePlan full = ReproducePlan.full("fmnist");
        assertEquals(List.of(0L, 1L, 2L), full.seedList());
        assertEquals(List.of(500L, 1_500L, 55_000L), full.dataSizes());
        // On the synthetic stand-in the data sizes keep their fractions of the training part.
        assertEquals(List.of(128L, 294L, 10_800L), full.withImages(10_800, 1_200, 2_000).dataSizes());
    }
}
