package ai.aim4j.cli;

import java.util.ArrayList;
import java.util.List;

/** The command line of an {@code aim4j} run in a child JVM with this test's class path and the project's JVM flags. */
public final class ChildJvm {
    private ChildJvm() {}

    public static List<String> aim4j(String maxHeap, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--enable-native-access=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-Dai.djl.offline=true", "-Xmx" + maxHeap, "-cp", System.getProperty("java.class.path"), "ai.aim4j.cli.Main"));
        cmd.addAll(args);
        return cmd;
    }
}
