package ai.aim4j.run;

/** How an engine reports progress on long work: the total once known, then the amount done. */
public interface ProgressListener {
    /** Reports nothing (tests, nested runs). */
    ProgressListener NONE = new ProgressListener() {
        @Override
        public void total(String task, long total, String unit) {}

        @Override
        public void done(long amount) {}
    };

    /** A new piece of work of {@code total} units (steps, images, epochs). */
    void total(String task, long total, String unit);

    /** Units done so far in the current piece of work. */
    void done(long amount);
}
