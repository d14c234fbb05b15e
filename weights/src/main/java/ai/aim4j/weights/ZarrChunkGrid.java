package ai.aim4j.weights;

import java.lang.foreign.MemorySegment;

/**
 * A zarr array's regular chunk grid: which chunks there are, their file names, and the copies
 * between an array's C-order bytes and one chunk's. Every chunk holds the full chunk shape in C order;
 * where a chunk reaches past the array's end (the last along an axis), that part is padding.
 */
final class ZarrChunkGrid {
    private final long[] shape;
    private final long[] chunks;
    private final long[] counts;
    private final int elementBytes;
    /** The first axis of the trailing run that chunks span whole: from it on, a chunk row is contiguous in the array. */
    private final int wholeFrom;

    ZarrChunkGrid(long[] shape, long[] chunks, int elementBytes) {
        this.shape = shape;
        this.chunks = chunks;
        this.elementBytes = elementBytes;
        this.counts = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            counts[i] = Math.ceilDiv(shape[i], chunks[i]);
        }
        int k = shape.length;
        while (k > 0 && chunks[k - 1] == shape[k - 1]) {
            k--;
        }
        this.wholeFrom = k;
    }

    /** How many chunks the array has; an error if that count does not fit a long. */
    long chunkCount() {
        long n = 1;
        for (long c : counts) {
            n = Math.multiplyExact(n, c);
        }
        return n;
    }

    /** The bytes of one chunk (the full chunk shape, padding included); an error if they do not fit a long. */
    long chunkBytes() {
        long n = elementBytes;
        for (long c : chunks) {
            n = Math.multiplyExact(n, c);
        }
        return n;
    }

    /** Whether the one chunk is the array itself, so its bytes are the array's bytes. */
    boolean isSingleWholeChunk() {
        return wholeFrom == 0;
    }

    /** The chunk indices of the {@code index}-th chunk in C order of the grid. */
    long[] position(long index) {
        long[] pos = new long[counts.length];
        for (int i = counts.length - 1; i >= 0; i--) {
            pos[i] = index % counts[i];
            index /= counts[i];
        }
        return pos;
    }

    /** The chunk's file name: its indices joined by {@code separator} ({@code 0} for a 0-d array). */
    static String key(long[] position, char separator) {
        if (position.length == 0) {
            return "0";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < position.length; i++) {
            if (i > 0) {
                b.append(separator);
            }
            b.append(position[i]);
        }
        return b.toString();
    }

    /** Copies the chunk at {@code position} out of {@code array} into {@code chunk}, zeroing its padding. */
    void gather(MemorySegment array, long[] position, MemorySegment chunk) {
        if (!fillsChunk(position)) {
            chunk.fill((byte) 0);
        }
        copy(array, position, chunk, true);
    }

    /** Copies the chunk at {@code position} from {@code chunk} into its place in {@code array}, skipping its padding. */
    void scatter(MemorySegment chunk, long[] position, MemorySegment array) {
        copy(array, position, chunk, false);
    }

    private boolean fillsChunk(long[] position) {
        for (int i = 0; i < shape.length; i++) {
            if ((position[i] + 1) * chunks[i] > shape[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Walks the chunk's rows: every index of the axes before {@code wholeFrom - 1} within the chunk
     * and the array, each row a contiguous run of both (the chunk's extent along axis
     * {@code wholeFrom - 1}, times the whole trailing axes).
     */
    private void copy(MemorySegment array, long[] position, MemorySegment chunk, boolean toChunk) {
        int rank = shape.length;
        int runAxis = Math.max(wholeFrom - 1, 0);
        long inner = elementBytes;
        for (int i = runAxis + 1; i < rank; i++) {
            inner *= shape[i];
        }
        long[] origin = new long[rank];
        long[] extent = new long[rank];
        for (int i = 0; i < rank; i++) {
            origin[i] = position[i] * chunks[i];
            extent[i] = Math.min(chunks[i], shape[i] - origin[i]);
        }
        long runBytes = rank == 0 ? elementBytes : extent[runAxis] * inner;
        long[] at = new long[runAxis];
        while (true) {
            long arrayOffset = 0;
            long chunkOffset = 0;
            for (int i = 0; i < rank; i++) {
                long local = i < runAxis ? at[i] : 0;
                arrayOffset = arrayOffset * shape[i] + origin[i] + local;
                chunkOffset = chunkOffset * chunks[i] + local;
            }
            arrayOffset *= elementBytes;
            chunkOffset *= elementBytes;
            if (toChunk) {
                MemorySegment.copy(array, arrayOffset, chunk, chunkOffset, runBytes);
            } else {
                MemorySegment.copy(chunk, chunkOffset, array, arrayOffset, runBytes);
            }
            int i = runAxis - 1;
            while (i >= 0 && ++at[i] == extent[i]) {
                at[i--] = 0;
            }
            if (i < 0) {
                return;
            }
        }
    }
}
