package ai.aim4j.cli;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/** The command line that starts one rank of a job: this JVM with its flags and class path, running an aim4j command. */
final class RankCommand {
    private RankCommand() {}

    /** @param threads the rank's share of the cores, or 0 to leave the JVM's own count */
    static List<String> of(int threads, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        if (threads > 0) {
            // The JVM then sizes everything it sizes by cores (loader pools, the default loader threads) to the rank's share.
            cmd.add("-XX:ActiveProcessorCount=" + threads);
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        return cmd;
    }
}
