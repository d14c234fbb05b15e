package ai.aim4j.interop.worker;

/**
 * A JVM that starts a worker, prints {@code <worker pid> <folder>} and waits to be killed: what
 * {@link WorkerOrphanTest} kills with SIGKILL to see the worker go too.
 */
public final class WorkerHolder {
    private WorkerHolder() {}

    public static void main(String[] args) throws Exception {
        PythonWorker worker = PythonWorker.start(PythonEnvironment.locate(), args[0]);
        System.out.println(worker.pid() + " " + worker.folder());
        System.out.flush();
        Thread.sleep(60_000);
    }
}
