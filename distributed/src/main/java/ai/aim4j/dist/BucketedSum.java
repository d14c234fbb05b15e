package ai.aim4j.dist;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Sums many float32 arrays over the ranks in few collective calls, as data-parallel training sums
 * its gradients. Each call has a fixed cost besides the bytes it moves, so small arrays are packed
 * into one bucket of about {@code bucketBytes} and summed together; an array at least that large is
 * summed in place in its own memory, with no copy.
 */
public final class BucketedSum implements AutoCloseable {
    /** PyTorch DDP's default bucket: large enough that per-call latency is negligible, small enough to stay in cache-friendly pieces. */
    public static final long DEFAULT_BUCKET_BYTES = 25L << 20;

    private final Collectives comm;
    private final long bucketBytes;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment bucket;
    private final List<MemorySegment> packed = new ArrayList<>();
    private long fill;

    public BucketedSum(Collectives comm, long bucketBytes) {
        if (bucketBytes < 4) {
            throw new IllegalArgumentException("bucket must hold at least one float");
        }
        this.comm = comm;
        this.bucketBytes = bucketBytes;
        this.bucket = arena.allocate(bucketBytes, 64);
    }

    /** Sums every array over the ranks, in place, in order; returns the bytes summed. */
    public long sum(List<MemorySegment> arrays) {
        long total = 0;
        for (MemorySegment a : arrays) {
            if (a.byteSize() % 4 != 0) {
                throw new IllegalArgumentException("not a float32 array: " + a.byteSize() + " bytes");
            }
            total += a.byteSize();
            if (a.byteSize() >= bucketBytes) {
                flush();
                comm.allReduceFloats(a);
                continue;
            }
            if (fill + a.byteSize() > bucketBytes) {
                flush();
            }
            MemorySegment.copy(a, 0, bucket, fill, a.byteSize());
            fill += a.byteSize();
            packed.add(a);
        }
        flush();
        return total;
    }

    private void flush() {
        if (packed.isEmpty()) {
            return;
        }
        comm.allReduceFloats(bucket.asSlice(0, fill));
        long at = 0;
        for (MemorySegment a : packed) {
            MemorySegment.copy(bucket, at, a, 0, a.byteSize());
            at += a.byteSize();
        }
        packed.clear();
        fill = 0;
    }

    @Override
    public void close() {
        arena.close();
    }
}
