package ai.aim4j.dist;

import java.lang.foreign.MemorySegment;

/**
 * The collective operations data-parallel work needs, over the processes of one job (ranks). The
 * engines see only this interface; {@link SingleProcess} is the world of one, {@link OpenMpi} the
 * one engine behind it today (a GPU build adds NCCL behind the same calls). Every rank must make
 * the same calls in the same order.
 */
public interface Collectives extends AutoCloseable {
    /** This process's rank, {@code 0 <= rank < world}. */
    int rank();

    /** Processes in the job. */
    int world();

    /** This process's rank among those on its machine. */
    int localRank();

    /** Whether this rank writes the job's files and prints its progress. */
    default boolean isLead() {
        return rank() == 0;
    }

    /** Sums float32 values in native memory over all ranks, in place: every rank ends with the same sums. */
    void allReduceFloats(MemorySegment values);

    /** Sums doubles over all ranks, in place. */
    void allReduceDoubles(double[] values);

    /** Sums longs over all ranks, in place. */
    void allReduceLongs(long[] values);

    /** Every rank's value, by rank. */
    long[] allGather(long value);

    /** Every rank's bytes, by rank, on every rank (lengths may differ). */
    byte[][] allGather(byte[] bytes);

    /**
     * Gathers every rank's bytes to the lead, in rank order, with no size limit: each rank's part is
     * the first {@code bytes} of {@code buffer}; the lead's buffer must have room for all parts, its
     * own first, and ends holding part 0, part 1, ... back to back. Returns the total bytes on the
     * lead, this rank's {@code bytes} elsewhere.
     */
    long gatherToLead(MemorySegment buffer, long bytes);

    /** Waits until every rank has arrived. */
    void barrier();

    /** Ends the whole job with {@code code}; does not return. */
    void abort(int code);

    /** Leaves the job (the last call of a rank). */
    @Override
    void close();
}
