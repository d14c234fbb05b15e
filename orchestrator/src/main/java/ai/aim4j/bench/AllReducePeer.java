package ai.aim4j.bench;

import ai.aim4j.dist.MpiRun;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The all-reduce benchmark's peer: the same sweep as {@link AllReduceBench} written in C against
 * Open MPI ({@code allreduce.c}, compiled with {@code mpicc} when the benchmark runs), so the table
 * shows what calling MPI from Java costs against calling it natively.
 */
public final class AllReducePeer {
    private AllReducePeer() {}

    /** Why the peer cannot run here, or null when it can. */
    public static String unavailable() {
        return MpiRun.onPath("mpicc") ? null : "mpicc not found (Debian: libopenmpi-dev)";
    }

    /** Compiles the peer in {@code work} and runs its sweep on {@code processes} ranks; seconds by size. */
    public static List<AllReduceBench.Sweep> run(int processes, List<String> hosts, Path work) throws IOException, InterruptedException {
        Path source = work.resolve("allreduce.c");
        try (InputStream in = AllReducePeer.class.getResourceAsStream("allreduce.c")) {
            Files.copy(in, source);
        }
        Path binary = work.resolve("allreduce");
        output(List.of("mpicc", "-O2", "-o", binary.toString(), source.toString()), "mpicc");
        List<String> program = new ArrayList<>(List.of(binary.toString(), Long.toString(AllReduceBench.BUDGET)));
        for (long size : AllReduceBench.SIZES) {
            program.add(Long.toString(size));
        }
        List<AllReduceBench.Sweep> sweep = new ArrayList<>();
        for (String line : output(MpiRun.command(processes, hosts, 1, program), "the C peer").lines().toList()) {
            String[] f = line.strip().split(" ");
            if (f.length == 2 && f[0].matches("\\d+")) {
                sweep.add(new AllReduceBench.Sweep(Long.parseLong(f[0]), Double.parseDouble(f[1])));
            }
        }
        if (sweep.size() != AllReduceBench.SIZES.length) {
            throw new IOException("the C peer reported " + sweep.size() + " of " + AllReduceBench.SIZES.length + " sizes");
        }
        return sweep;
    }

    private static String output(List<String> cmd, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException(what + " failed: " + out.strip());
        }
        return out;
    }
}
