package ai.aim4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs one {@code aim4j} command line, then prints the process's peak resident memory on a last line
 * of its own and exits with the command's code: a launcher for child JVMs whose memory a test measures.
 */
public final class PeakRss {
    /** Starts the line carrying the peak resident set size in KiB (-1 where /proc is missing). */
    public static final String PREFIX = "peak-rss-kib=";

    private PeakRss() {}

    public static void main(String[] args) throws IOException {
        int code = Main.run(args);
        System.out.println(PREFIX + peakKib());
        System.exit(code);
    }

    /** Linux's high-water mark of the resident set ({@code VmHWM} in {@code /proc/self/status}). */
    private static long peakKib() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return -1;
        }
        return Files.readAllLines(status).stream().filter(l -> l.startsWith("VmHWM:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElse(-1);
    }
}
