package ai.aim4j.interop.worker;

import java.util.List;
import java.util.Locale;

/**
 * One package of the bridge's environment against its pin in {@code requirements.txt}, as
 * {@code python -m aim4j.environment} reports it.
 *
 * @param name      the distribution name ({@code jax}, {@code orbax-checkpoint}, ...)
 * @param required  the pin ({@code ==0.10.2}), {@code any}, or how aim4j's own package should be installed
 * @param installed the installed version, or null
 * @param state     how it compares
 * @param detail    why it is not {@link State#OK}, empty otherwise
 */
public record PackageStatus(String name, String required, String installed, State state, String detail) {
    /** How an installed package compares with its pin. */
    public enum State {
        OK,
        /** Not installed. */
        MISSING,
        /** Installed in a version the pin excludes. */
        MISMATCH,
        /** Installed, but importing it fails. */
        BROKEN,
        /**
         * aim4j's own package not installed from this checkout: only a bare {@code python} notices, as
         * aim4j's commands put this checkout's sources first on {@code PYTHONPATH}.
         */
        UNLINKED;

        /** Whether the bridge can run with a package in this state. */
        public boolean usable() {
            return this == OK || this == UNLINKED;
        }
    }

    /** Parses one tab-separated line of {@code aim4j.environment}'s output. */
    static PackageStatus parse(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != 5) {
            throw new IllegalArgumentException("not a package status line: " + line);
        }
        return new PackageStatus(f[0], f[1], f[2].equals("-") ? null : f[2], State.valueOf(f[3].toUpperCase(Locale.ROOT)), f[4]);
    }

    /** Whether every package is usable. */
    public static boolean allUsable(List<PackageStatus> packages) {
        return packages.stream().allMatch(p -> p.state().usable());
    }
}
