package ai.aim4j.reproduce;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The side-by-side workers of {@code aim4j reproduce --jobs N}: N copies of this JVM, each running
 * {@code aim4j reproduce --worker} on the reproduction's folder ({@link Reproduction#work()}) with
 * an equal share of the cores as its libtorch threads. Processes, not threads: libtorch's autograd
 * recorder is one per process. On a small machine this beats one process with every core: the step's
 * single-threaded parts (optimizer, data, Java) overlap, and a thread never waits for another.
 * When one worker fails the others are stopped (what they finished is kept), and so are all of
 * them when this process is.
 */
public final class WorkerProcesses implements Reproduction.Workers {
    /** The system properties that set libtorch's threads, replaced by each worker's share. */
    private static final String THREADS = "-Dai.djl.pytorch.num_threads=";
    private static final String INTEROP_THREADS = "-Dai.djl.pytorch.num_interop_threads=";

    private final int jobs;
    private final String main;
    private final List<String> args;

    /**
     * @param jobs how many workers run side by side
     * @param main the class whose {@code main} runs an {@code aim4j} command line
     * @param args the command line of a worker ({@code reproduce ... --worker})
     */
    public WorkerProcesses(int jobs, String main, List<String> args) {
        this.jobs = jobs;
        this.main = main;
        this.args = List.copyOf(args);
    }

    @Override
    public int jobs() {
        return jobs;
    }

    @Override
    public void run() throws IOException {
        List<Process> workers = new ArrayList<>();
        // Killed outright: a JVM asked to exit while its thread is inside libtorch can crash on the way out, and a worker's
        // finished units are stored atomically, so nothing is lost that a re-run would not redo anyway.
        Thread stopAll = new Thread(() -> workers.forEach(Process::destroyForcibly));
        Runtime.getRuntime().addShutdownHook(stopAll);
        try {
            for (int k = 0; k < jobs; k++) {
                workers.add(new ProcessBuilder(command()).inheritIO().start());
            }
            List<CompletableFuture<Process>> running = new ArrayList<>(workers.stream().map(Process::onExit).toList());
            while (!running.isEmpty()) {
                CompletableFuture.anyOf(running.toArray(CompletableFuture[]::new)).get();
                for (CompletableFuture<Process> f : List.copyOf(running)) {
                    if (f.isDone()) {
                        running.remove(f);
                        int code = f.get().exitValue();
                        if (code != 0) {
                            workers.forEach(Process::destroyForcibly);
                            throw new IOException("reproduce: worker " + (workers.indexOf(f.get()) + 1) + " of " + jobs + " stopped with exit code "
                                    + code + " (its error is above); what the workers finished is kept: re-run the same command to continue");
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            workers.forEach(Process::destroyForcibly);
            throw new IOException("reproduce: interrupted while its workers ran", e);
        } catch (ExecutionException e) {
            throw new IOException("reproduce: a worker could not be watched: " + e.getCause().getMessage(), e);
        } finally {
            Runtime.getRuntime().removeShutdownHook(stopAll);
        }
    }

    /** This JVM's command line (and working folder) with the worker's thread share, running the main class on the worker's arguments. */
    private List<String> command() {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / jobs);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(a -> !a.startsWith(THREADS) && !a.startsWith(INTEROP_THREADS)).forEach(cmd::add);
        cmd.add(THREADS + threads);
        cmd.add(INTEROP_THREADS + 1);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(args);
        return cmd;
    }
}
