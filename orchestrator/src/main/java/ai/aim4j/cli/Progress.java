package ai.aim4j.cli;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The one progress display of long-running commands: a bar with rate and ETA on a terminal, plain
 * lines every few seconds otherwise (logs, CI).
 */
final class Progress implements AutoCloseable {
    private final ProgressBar bar;
    private boolean closed;

    private Progress(ProgressBar bar) {
        this.bar = bar;
    }

    static Progress start(String task, long total, String unit) {
        boolean terminal = System.console() != null && System.console().isTerminal();
        PrintStream err = System.err;
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setUnit(" " + unit, 1)
                .showSpeed().setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(terminal ? 200 : 5000);
        if (terminal) {
            b.setConsumer(new ConsoleProgressBarConsumer(err));
        } else {
            b.setConsumer(new DelegatingProgressBarConsumer(err::println));
        }
        return new Progress(b.build());
    }

    void stepTo(long n) {
        bar.stepTo(n);
    }

    /** Finishes the display (once; later calls do nothing). */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            bar.close();
        }
    }
}
