package ai.aim4j.bench;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.transform.Transform;
import com.sun.management.ThreadMXBean;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;

/** Loader throughput: images/s over whole batches after a warm-up, and heap bytes allocated per batch. */
public final class DataBench {
    private DataBench() {}

    /** Measured figures of one configuration. */
    public record Result(String name, int threads, int batch, double imagesPerSecond, long heapBytesPerBatch) {
        /** One line: the configuration, images/s in all and per thread, heap bytes a batch. */
        public void print(PrintStream out) {
            out.printf("%-44s %2d threads  batch %4d  %,12.0f images/s  %,8.0f images/s per thread  %,9d heap bytes/batch%n", name,
                    threads, batch, imagesPerSecond, imagesPerSecond / Math.max(threads, 1), heapBytesPerBatch);
        }
    }

    /**
     * {@code batches} batches of {@code batch} images of {@code data} through {@code transform} on
     * {@code threads} loader threads, timed after a tenth as many (at least 3) untimed ones.
     */
    public static Result run(String name, ShardSet data, Transform transform, int batch, int threads, int batches) {
        var mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (BatchLoader loader = new BatchLoader(data, new Sampler(data.size(), 0, 0, 1).strided(new Sampler.Cursor(0, 0)), batch, transform, 0,
                threads, 4, false, w -> { })) {
            for (int i = 0; i < Math.max(3, batches / 10); i++) {
                loader.next().close();
            }
            long heap0 = totalAllocated(mx);
            long t0 = System.nanoTime();
            long images = 0;
            for (int i = 0; i < batches; i++) {
                try (Batch b = loader.next()) {
                    images += b.size();
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long heap = totalAllocated(mx) - heap0;
            return new Result(name, threads, batch, images / seconds, heap / batches);
        }
    }

    /** Bytes allocated on the heap by every live thread (the loader's workers included). */
    private static long totalAllocated(ThreadMXBean mx) {
        long sum = 0;
        for (long id : mx.getAllThreadIds()) {
            long b = mx.getThreadAllocatedBytes(id);
            if (b > 0) {
                sum += b;
            }
        }
        return sum;
    }
}
