package ai.aim4j.bench;

import ai.aim4j.run.Precision;
import java.io.PrintStream;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The table of a side-by-side benchmark: per precision, aim4j and its peers in images/s, achieved
 * GFLOP/s, the share of the measured matmul rate and of the theoretical peak of that precision, and
 * aim4j's ratio to the best peer of the precision. A precision without an aim4j row (not asked for
 * with {@code --dtype}) says so.
 *
 * @param batch images per step
 * @param flopsPerImage matmul FLOPs of one image's step (or forward pass) as the peers compute it, as {@link AimFlops} counts them
 * @param aim4jFlopsPerImage the same as aim4j computes it (fewer where it skips work whose result is not read)
 * @param matmul the matmul rates measured in the same run; the best of a precision is its "of matmul" base
 * @param peak the theoretical peak, or null where it is unknown
 * @param rounds how many rounds of turns the rows are medians of ({@link Interleaved})
 */
public record SideBySide(int batch, double flopsPerImage, double aim4jFlopsPerImage, List<Rate> matmul, CpuPeak peak, List<Contender> contenders,
                         int rounds) {
    /** The name of aim4j's own rows. */
    public static final String AIM4J = "aim4j";

    /** A measured matmul rate and what measured it. */
    public record Rate(Precision precision, double gflops, String source) {}

    /** Prints the matmul rates, then the table. */
    public void print(PrintStream out) {
        for (Rate r : matmul) {
            Precision p = r.precision();
            out.printf("  matmul %s %6.0f GFLOP/s%s  %s%n", p, r.gflops(), peak == null ? "" : String.format(" (%3.0f%% of the peak)",
                    100 * r.gflops() / peak.gflops(p)), r.source());
            if (peak != null && r.gflops() > peak.gflops(p)) {
                out.printf("  the measured %s matmul rate exceeds the computed peak: the peak model (%s) is wrong for this CPU;"
                        + " set --fma-units or --clock-ghz%n", p, peak.describe(p));
            }
        }
        if (rounds > 1) {
            out.printf("  %d rounds taking turns, aim4j then every peer: each row is the median of its rounds' medians%n", rounds);
        }
        if (aim4jFlopsPerImage != flopsPerImage) {
            out.printf("  GFLOP/s counts what each computes: %.3f GFLOP an image for the peers, %.3f for aim4j%n", flopsPerImage / 1e9,
                    aim4jFlopsPerImage / 1e9);
        }
        out.printf("  %-5s %-18s %9s %9s %10s %8s %10s %9s%n", "", "", "images/s", "GFLOP/s", "of matmul", "of peak", "median s", "first s");
        boolean outran = false;
        for (Precision p : Precision.values()) {
            List<Contender> rows = contenders.stream().filter(c -> c.precision() == p).toList();
            if (rows.isEmpty()) {
                continue;
            }
            String label = p.toString();
            if (rows.stream().noneMatch(c -> c.name().equals(AIM4J))) {
                out.printf("  %-5s %-18s not available%n", label, AIM4J);
                label = "";
            }
            for (Contender c : rows) {
                if (c.ran()) {
                    double gflops = (c.name().equals(AIM4J) ? aim4jFlopsPerImage : flopsPerImage) * batch / c.medianS() / 1e9;
                    outran |= gflops > bestMatmul(p) || (peak != null && gflops > peak.gflops(p));
                    out.printf("  %-5s %-18s %9.2f %9.1f %10s %8s %10.4f %9.2f%n", label, c.name(), batch / c.medianS(), gflops,
                            share(gflops, bestMatmul(p)),
                            share(gflops, peak == null ? Double.NaN : peak.gflops(p)), c.medianS(), c.firstS());
                } else {
                    out.printf("  %-5s %-18s unavailable: %s%n", label, c.name(), c.unavailable());
                }
                label = "";
            }
            Optional<Contender> aim4j = rows.stream().filter(c -> c.name().equals(AIM4J) && c.ran()).findFirst();
            Optional<Contender> best = best(p);
            if (aim4j.isPresent() && best.isPresent()) {
                out.printf("  %-5s aim4j / best %s peer (%s): %.2fx%n", "", p, best.get().name(), best.get().medianS() / aim4j.get().medianS());
            } else if (best.isPresent()) {
                contenders.stream().filter(c -> c.name().equals(AIM4J) && c.ran()).findFirst().ifPresent(a -> out.printf(
                        "  %-5s aim4j %s / best %s peer (%s): %.2fx%n", "", a.precision(), p, best.get().name(), best.get().medianS() / a.medianS()));
            }
        }
        if (outran) {
            out.printf("  >100%%: a contender outran the matmul rate or the peak of this run: the machine was busier while they were measured,"
                    + " or the peak model is wrong for this CPU (--fma-units, --clock-ghz); the images/s and the ratios stand%n");
        }
    }

    /** The fastest peer (not aim4j) of a precision that ran. */
    public Optional<Contender> best(Precision p) {
        return contenders.stream().filter(c -> c.precision() == p && c.ran() && !c.name().equals(AIM4J))
                .min(Comparator.comparingDouble(Contender::medianS));
    }

    /** The best measured matmul rate of a precision, NaN when none was measured. */
    public double bestMatmul(Precision p) {
        return matmul.stream().filter(r -> r.precision() == p).mapToDouble(Rate::gflops).max().orElse(Double.NaN);
    }

    private static String share(double part, double whole) {
        return Double.isNaN(whole) ? "-" : part > whole ? ">100%" : String.format("%.0f%%", 100 * part / whole);
    }
}
