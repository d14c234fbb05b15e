package ai.aim4j.interop.worker;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Condenses pip's output to a few progress lines: each package as pip reaches it, what it installs,
 * and errors; satisfied requirements and build chatter stay in the log. A connection retry is named
 * once, with what to do when an index can never be reached (pip waits before each retry, minutes in
 * all when every lookup falls through to an unreachable index).
 */
final class PipOutput {
    private static final Pattern COLLECTING = Pattern.compile("^Collecting (\\S+).*");
    private static final Pattern FILE = Pattern.compile("^\\s*(Processing|Downloading) (\\S+)( \\(([^)]*[0-9.]+ [kMG]?B)\\))?.*");
    private static final Pattern INSTALLING = Pattern.compile("^Installing collected packages: (.*)");
    private static final Pattern INSTALLED = Pattern.compile("^Successfully installed (.*)");
    private static final Pattern RETRY = Pattern.compile("^WARNING: Retrying .*: (\\S+)$");
    private boolean retryNamed;

    /** The progress line for one line of pip's output, or null when it stays in the log only. */
    String condense(String line) {
        Matcher m;
        if ((m = COLLECTING.matcher(line)).matches()) {
            return "collecting " + m.group(1);
        }
        if ((m = FILE.matcher(line)).matches()) {
            return m.group(1).toLowerCase(Locale.ROOT) + " " + distribution(m.group(2)) + (m.group(4) == null ? "" : " (" + m.group(4) + ")");
        }
        if ((m = INSTALLING.matcher(line)).matches()) {
            return "installing " + m.group(1).split(",\\s*").length + " packages";
        }
        if ((m = INSTALLED.matcher(line)).matches()) {
            return "installed " + m.group(1).trim().split("\\s+").length + " packages";
        }
        if (line.strip().startsWith("ERROR:") || line.startsWith("error:")) {
            return line.strip(); // pip's own errors, and those of the build steps it runs
        }
        if ((m = RETRY.matcher(line)).matches() && !retryNamed) {
            retryNamed = true;
            return "retrying a connection (" + m.group(1) + "); when an index is unreachable, PIP_RETRIES=0 skips the waits";
        }
        return null;
    }

    /** {@code jax 0.10.2} for {@code .../jax-0.10.2-py3-none-any.whl}; other files by their name. */
    private static String distribution(String location) {
        String file = location.substring(location.lastIndexOf('/') + 1);
        String[] parts = file.split("-");
        return file.endsWith(".whl") && parts.length >= 5 ? parts[0] + " " + parts[1] : file;
    }
}
