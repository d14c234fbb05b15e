package ai.aim4j.reproduce;

import ai.djl.engine.Engine;
import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.concurrent.TimeUnit;

/** Where a reproduction ran: versions, processor, memory and the project's git revision. */
final class Environment {
    private Environment() {}

    /** Name-value pairs for the report, in reading order. */
    static SequencedMap<String, String> describe(String version) {
        SequencedMap<String, String> e = new LinkedHashMap<>();
        Path home = Path.of(System.getProperty("aim4j.home", "."));
        e.put("aim4j", version + ", git " + git(home));
        e.put("Java", Runtime.version() + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("java.vendor") + ")");
        Engine engine = Engine.getInstance();
        e.put("tensor engine", "DJL " + Engine.getDjlVersion() + ", " + engine.getEngineName() + " " + engine.getVersion() + " (CPU)");
        e.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        e.put("processor", cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores available");
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            e.put("memory", String.format("%.1f GiB", os.getTotalMemorySize() / (double) (1L << 30)));
        }
        return e;
    }

    /** The project's revision, with "+ local changes" when the work tree differs from it. */
    private static String git(Path home) {
        String head = run(home, "git", "rev-parse", "HEAD");
        if (head == null) {
            return "unknown (not a git checkout)";
        }
        String status = run(home, "git", "status", "--porcelain", "--untracked-files=no");
        return head + (status == null || status.isEmpty() ? "" : " + local changes");
    }

    private static String run(Path dir, String... command) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String cpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            return lines.stream().filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst()
                    .orElse(System.getProperty("os.arch"));
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }
}
