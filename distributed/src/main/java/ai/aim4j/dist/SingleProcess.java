package ai.aim4j.dist;

import java.lang.foreign.MemorySegment;

/** The world of one process: every collective is the identity. */
public final class SingleProcess implements Collectives {
    /** The one instance. */
    public static final SingleProcess INSTANCE = new SingleProcess();

    private SingleProcess() {}

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public int world() {
        return 1;
    }

    @Override
    public int localRank() {
        return 0;
    }

    @Override
    public void allReduceFloats(MemorySegment values) {}

    @Override
    public void allReduceDoubles(double[] values) {}

    @Override
    public void allReduceLongs(long[] values) {}

    @Override
    public long[] allGather(long value) {
        return new long[] {value};
    }

    @Override
    public byte[][] allGather(byte[] bytes) {
        return new byte[][] {bytes};
    }

    @Override
    public long gatherToLead(MemorySegment buffer, long bytes) {
        return bytes;
    }

    @Override
    public void barrier() {}

    @Override
    public void abort(int code) {
        Runtime.getRuntime().halt(code);
    }

    @Override
    public void close() {}
}
