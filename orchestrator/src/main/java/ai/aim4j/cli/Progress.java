package ai.aim4j.cli;

import ai.aim4j.run.ProgressListener;
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
final class Progress implements ProgressListener, AutoCloseable {
    private ProgressBar bar;

    @Override
    public void total(String task, long total, String unit) {
        close();
        boolean terminal = System.console() != null && System.console().isTerminal();
        PrintStream err = System.err;
        ProgressBarBuilder b = new ProgressBarBuilder().setTaskName(task).setInitialMax(Math.max(total, 1)).setUnit(" " + unit, 1)
                .showSpeed().setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(terminal ? 200 : 5000);
        b.setConsumer(terminal ? new ConsoleProgressBarConsumer(err) : new DelegatingProgressBarConsumer(err::println));
        bar = b.build();
    }

    @Override
    public void done(long amount) {
        if (bar != null) {
            bar.stepTo(amount);
        }
    }

    /** Finishes the current display (later calls do nothing). */
    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
