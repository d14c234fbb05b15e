package ai.aim4j.arrow;



import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.arrow.transform.Image;
import ai.aim4j.arrow.transform.ImageDecoder;
import ai.aim4j.arrow.transform.Transform;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Streams batches from a {@link ShardSet} in {@link Sampler} order. Sample indices are drawn in order
 * on the caller's thread; decoding and transforms run on a bounded pool with {@code prefetch}
 * batches in flight, and batches are handed out in the order they were drawn, so what is delivered
 * never depends on thread timing. Each sample's random augmentation is seeded by
 * {@code (seed, epoch, sample id)}. Batch buffers are native and recycled: steady-state streaming
 * allocates no pixel memory.
 */
public final class BatchLoader implements AutoCloseable {
    private final ShardSet data;
    private final SampleStream order;
    private final int batchSize;
    private final Transform transform;
    private final long seed;
    private final boolean strict;
    private final Consumer<String> warn;
    private final ExecutorService pool;
    private final int prefetch;
    private final ArrayDeque<Future<Batch>> inFlight = new ArrayDeque<>();
    private final BlockingQueue<MemorySegment> buffers;
    private final Arena arena = Arena.ofShared();
    private final long imageBytes;
    private final int[] outputShape;
    private final int[] rawShape;
    private final AtomicLong undecodable = new AtomicLong();

    /**
     * @param order    the samples, in delivery order (a rank's share of the sampler's stream, a list)
     * @param threads  decoding threads; 0 assembles each batch on the caller's thread
     * @param prefetch batches prepared ahead (with threads)
     * @param strict   an undecodable image fails the run instead of being skipped with a warning
     */
    public BatchLoader(ShardSet data, SampleStream order, int batchSize, Transform transform, long seed, int threads, int prefetch,
                       boolean strict, Consumer<String> warn) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive");
        }
        this.data = data;
        this.order = order;
        this.batchSize = batchSize;
        this.transform = transform;
        this.seed = seed;
        this.strict = strict;
        this.warn = warn;
        this.prefetch = threads == 0 ? 0 : Math.max(1, prefetch);
        this.pool = threads == 0 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "aim4j-loader");
            t.setDaemon(true);
            return t;
        });
        this.outputShape = transform.outputShape();
        this.rawShape = data.encoding() == Encoding.RAW ? data.rawShape() : null;
        long values = 1;
        for (int d : outputShape) {
            values *= d;
        }
        this.imageBytes = transform.valueBytes() * values;
        this.buffers = new ArrayBlockingQueue<>(this.prefetch + 2);
        for (int i = 0; i < this.prefetch + 2; i++) {
            buffers.add(arena.allocate(imageBytes * batchSize, 64));
        }
    }

    /** Samples skipped so far because they could not be decoded. */
    public long undecodable() {
        return undecodable.get();
    }

    /** The next batch (blocks until it is ready). Close it when done with its pixels. */
    public Batch next() {
        if (pool == null) {
            return assemble(draw());
        }
        while (inFlight.size() < prefetch + 1) {
            Plan plan = draw();
            inFlight.add(pool.submit(() -> assemble(plan)));
        }
        try {
            return inFlight.poll().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while loading", e);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    /** Which samples a batch holds, fixed when drawn. */
    private record Plan(int[] indices, long[] epochs, Sampler.Cursor after) {}

    /** The next batch's samples: fewer at the end of a finite stream, none after it (its batches are empty). */
    private Plan draw() {
        int[] idx = new int[batchSize];
        long[] epochs = new long[batchSize];
        int size = 0;
        while (size < batchSize && order.hasNext()) {
            epochs[size] = order.nextEpoch();
            idx[size++] = order.next();
        }
        return new Plan(Arrays.copyOf(idx, size), Arrays.copyOf(epochs, size), order.cursor());
    }

    private Batch assemble(Plan plan) {
        MemorySegment buf;
        try {
            buf = buffers.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        try {
            return fill(plan, buf);
        } catch (RuntimeException | Error e) {
            // A batch that fails gives its buffer back: otherwise a few failures would leave the loader none to fill.
            buffers.add(buf);
            throw e;
        }
    }

    private Batch fill(Plan plan, MemorySegment buf) {
        int size = plan.indices().length;
        int[] labels = new int[size];
        long[] ids = new long[size];
        long[] epochs = new long[size];
        int n = 0;
        for (int i = 0; i < size; i++) {
            long row = plan.indices()[i];
            ShardSet.Row located = data.row(row);
            long id = located.id();
            Image image;
            try {
                image = decode(located);
            } catch (IOException | RuntimeException e) {
                if (strict) {
                    throw new IllegalStateException(data.location() + ": sample " + id + " (row " + row + ") cannot be decoded: " + e.getMessage(), e);
                }
                undecodable.incrementAndGet();
                warn.accept(data.location() + ": skipping undecodable sample " + id + " (row " + row + "): " + e.getMessage());
                continue;
            }
            SplittableRandom rng = new SplittableRandom(mix(seed, plan.epochs()[i], id));
            try {
                transform.apply(image, rng, buf, n * imageBytes);
            } catch (RuntimeException e) {
                throw new IllegalStateException(data.location() + ": sample " + id + " (row " + row + ") cannot be transformed: " + e.getMessage(), e);
            }
            labels[n] = located.label();
            ids[n] = id;
            epochs[n] = plan.epochs()[i];
            n++;
        }
        return new Batch(buf, outputShape, imageBytes, n, Arrays.copyOf(labels, n), Arrays.copyOf(ids, n), Arrays.copyOf(epochs, n), size - n,
                plan.after(), buffers::add);
    }

    static long mix(long seed, long epoch, long id) {
        long h = seed * 0x9E3779B97F4A7C15L;
        h ^= (epoch + 0x632BE59BD9B4E019L) * 0xC2B2AE3D27D4EB4FL;
        h ^= (id + 0x85EBCA77C2B2AE63L) * 0x165667B19E3779F9L;
        return h;
    }

    /** A row as pixels: a view of the mapped shard for raw data, decoded for encoded data. */
    private Image decode(ShardSet.Row row) throws IOException {
        if (rawShape != null) {
            return new Image(rawShape[0], rawShape[1], rawShape[2], ShardSet.rawImage(row));
        }
        return ImageDecoder.decode(ShardSet.encodedImage(row).toArray(ValueLayout.JAVA_BYTE));
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
            try {
                pool.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        arena.close();
    }
}
