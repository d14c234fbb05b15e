package ai.aim4j.run;

import java.util.List;

/**
 * Checks of the counts a command line gives (images, batches, steps, limits), made before any work
 * starts, so that a count the command cannot use stops it with the flag's name instead of failing
 * somewhere inside the work.
 */
public final class Counts {
    private Counts() {}

    /** @throws IllegalArgumentException naming {@code flag} when {@code value} is below {@code min} */
    public static void atLeast(String flag, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(flag + " must be at least " + min + ", got " + value);
        }
    }

    /** As {@link #atLeast(String, long, long)} for every value of a list flag. */
    public static void allAtLeast(String flag, List<Integer> values, long min) {
        values.forEach(v -> atLeast(flag, v, min));
    }
}
