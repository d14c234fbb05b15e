package ai.aim4j.dist;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * Open MPI's collectives called through the Java foreign-function interface ({@code libmpi.so.40}).
 * Open MPI's handles are addresses of global structures ({@code ompi_mpi_comm_world},
 * {@code ompi_mpi_float}, {@code ompi_mpi_op_sum}), and {@code MPI_IN_PLACE} is {@code (void*) 1};
 * an in-place all-reduce works on the tensor's own memory, so no value is copied. Every call is made
 * from the thread that joined ({@code MPI_THREAD_FUNNELED}); a failing call aborts the job, as MPI's
 * default error handler does. {@code MPI_STATUS_IGNORE} is {@code NULL}.
 */
public final class OpenMpi implements Collectives {
    /** The library of Debian's {@code libopenmpi3} (Open MPI 4.x). */
    static final String LIBRARY = "libmpi.so.40";
    /** Elements per call: MPI counts are C ints. */
    private static final long MAX_COUNT = 1L << 30;
    private static final int RTLD_NOW_GLOBAL = 0x102;
    /** {@code MPI_IN_PLACE} of Open MPI's {@code mpi.h}. */
    private static final MemorySegment IN_PLACE = MemorySegment.ofAddress(1);
    private static final int THREAD_FUNNELED = 1;
    /** Tag of the messages of {@link #gatherToLead} (the only point-to-point messages aim4j sends). */
    private static final int GATHER_TAG = 17;

    private final Linker linker = Linker.nativeLinker();
    private final SymbolLookup mpi;
    private final MemorySegment world;
    private final MemorySegment float32;
    private final MemorySegment float64;
    private final MemorySegment int64;
    private final MemorySegment byteType;
    private final MemorySegment sum;
    private final MethodHandle allreduce;
    private final MethodHandle allgather;
    private final MethodHandle allgatherv;
    private final MethodHandle send;
    private final MethodHandle recv;
    private final MethodHandle barrier;
    private final MethodHandle abort;
    private final MethodHandle finalizer;
    private final int rank;
    private final int size;
    private final int localRank;
    private boolean closed;

    private OpenMpi(int localRank) throws Throwable {
        // Open MPI's plugins resolve libmpi's symbols globally: the library must be loaded RTLD_GLOBAL first.
        MethodHandle dlopen = linker.downcallHandle(linker.defaultLookup().find("dlopen").orElseThrow(),
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment handle = (MemorySegment) dlopen.invokeExact(tmp.allocateFrom(LIBRARY), RTLD_NOW_GLOBAL);
            if (handle.equals(MemorySegment.NULL)) {
                throw new IllegalStateException(LIBRARY + " cannot be loaded: install Open MPI (Debian: openmpi-bin and libopenmpi-dev)");
            }
        }
        this.mpi = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
        this.world = symbol("ompi_mpi_comm_world");
        this.float32 = symbol("ompi_mpi_float");
        this.float64 = symbol("ompi_mpi_double");
        this.int64 = symbol("ompi_mpi_int64_t");
        this.byteType = symbol("ompi_mpi_byte");
        this.sum = symbol("ompi_mpi_op_sum");
        this.allreduce = function("MPI_Allreduce", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
        this.allgather = function("MPI_Allgather",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
        this.allgatherv = function("MPI_Allgatherv",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        this.send = function("MPI_Send", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
        this.recv = function("MPI_Recv", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
        this.barrier = function("MPI_Barrier", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        this.abort = function("MPI_Abort", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        this.finalizer = function("MPI_Finalize", FunctionDescriptor.of(JAVA_INT));
        MethodHandle init = function("MPI_Init_thread", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, ADDRESS));
        MethodHandle commRank = function("MPI_Comm_rank", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        MethodHandle commSize = function("MPI_Comm_size", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment out = tmp.allocate(JAVA_INT);
            check("MPI_Init_thread", (int) init.invokeExact(MemorySegment.NULL, MemorySegment.NULL, THREAD_FUNNELED, out));
            check("MPI_Comm_rank", (int) commRank.invokeExact(world, out));
            this.rank = out.get(JAVA_INT, 0);
            check("MPI_Comm_size", (int) commSize.invokeExact(world, out));
            this.size = out.get(JAVA_INT, 0);
        }
        this.localRank = localRank;
    }

    /** Joins the job the MPI launcher started this process in. */
    public static OpenMpi join(int localRank) {
        try {
            return new OpenMpi(localRank);
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("Open MPI could not start: " + t.getMessage(), t);
        }
    }

    private MemorySegment symbol(String name) {
        return mpi.find(name).orElseThrow(() -> new IllegalStateException(LIBRARY + " has no " + name + " (not Open MPI 4?)"));
    }

    private MethodHandle function(String name, FunctionDescriptor descriptor) {
        return linker.downcallHandle(symbol(name), descriptor);
    }

    private static void check(String call, int code) {
        if (code != 0) {
            throw new IllegalStateException(call + " failed with MPI error " + code);
        }
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int world() {
        return size;
    }

    @Override
    public int localRank() {
        return localRank;
    }

    @Override
    public void allReduceFloats(MemorySegment values) {
        reduce(values, values.byteSize() / 4, 4, float32);
    }

    @Override
    public void allReduceDoubles(double[] values) {
        reduceArray(MemorySegment.ofArray(values), values.length, float64);
    }

    @Override
    public void allReduceLongs(long[] values) {
        reduceArray(MemorySegment.ofArray(values), values.length, int64);
    }

    /** Sums a Java array of 8-byte values: native code cannot see the heap, so a native copy is summed and copied back. */
    private void reduceArray(MemorySegment array, int count, MemorySegment type) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment copy = tmp.allocate(array.byteSize(), 8);
            copy.copyFrom(array);
            reduce(copy, count, 8, type);
            array.copyFrom(copy);
        }
    }

    /** Sums {@code count} elements in place, in calls of at most {@link #MAX_COUNT} elements. */
    private void reduce(MemorySegment values, long count, int width, MemorySegment type) {
        for (long done = 0; done < count; done += MAX_COUNT) {
            int n = (int) Math.min(MAX_COUNT, count - done);
            try {
                check("MPI_Allreduce", (int) allreduce.invokeExact(IN_PLACE, values.asSlice(done * width), n, type, sum, world));
            } catch (Throwable t) {
                throw failure("MPI_Allreduce", t);
            }
        }
    }

    @Override
    public long[] allGather(long value) {
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment mine = tmp.allocateFrom(JAVA_LONG, value);
            MemorySegment all = tmp.allocate(JAVA_LONG, size);
            check("MPI_Allgather", (int) allgather.invokeExact(mine, 1, int64, all, 1, int64, world));
            return all.toArray(JAVA_LONG);
        } catch (Throwable t) {
            throw failure("MPI_Allgather", t);
        }
    }

    @Override
    public byte[][] allGather(byte[] mine) {
        long[] lengths = allGather(mine.length);
        try (Arena tmp = Arena.ofConfined()) {
            MemorySegment counts = tmp.allocate(JAVA_INT, size);
            MemorySegment displacements = tmp.allocate(JAVA_INT, size);
            long total = 0;
            for (int r = 0; r < size; r++) {
                counts.setAtIndex(JAVA_INT, r, Math.toIntExact(lengths[r]));
                displacements.setAtIndex(JAVA_INT, r, Math.toIntExact(total));
                total += lengths[r];
            }
            MemorySegment send = tmp.allocateFrom(JAVA_BYTE, mine);
            MemorySegment all = tmp.allocate(Math.max(total, 1));
            check("MPI_Allgatherv", (int) allgatherv.invokeExact(send, mine.length, byteType, all, counts, displacements, byteType, world));
            byte[][] out = new byte[size][];
            for (int r = 0; r < size; r++) {
                out[r] = all.asSlice(displacements.getAtIndex(JAVA_INT, r), lengths[r]).toArray(JAVA_BYTE);
            }
            return out;
        } catch (Throwable t) {
            throw failure("MPI_Allgatherv", t);
        }
    }

    @Override
    public long gatherToLead(MemorySegment buffer, long bytes) {
        long[] lengths = allGather(bytes);
        if (rank != 0) {
            for (long done = 0; done < bytes; done += MAX_COUNT) {
                int n = (int) Math.min(MAX_COUNT, bytes - done);
                try {
                    check("MPI_Send", (int) send.invokeExact(buffer.asSlice(done, n), n, byteType, 0, GATHER_TAG, world));
                } catch (Throwable t) {
                    throw failure("MPI_Send", t);
                }
            }
            return bytes;
        }
        long at = lengths[0];
        for (int r = 1; r < size; r++) {
            for (long done = 0; done < lengths[r]; done += MAX_COUNT) {
                int n = (int) Math.min(MAX_COUNT, lengths[r] - done);
                try {
                    check("MPI_Recv", (int) recv.invokeExact(buffer.asSlice(at + done, n), n, byteType, r, GATHER_TAG, world,
                            MemorySegment.NULL));
                } catch (Throwable t) {
                    throw failure("MPI_Recv", t);
                }
            }
            at += lengths[r];
        }
        return at;
    }

    @Override
    public void barrier() {
        try {
            check("MPI_Barrier", (int) barrier.invokeExact(world));
        } catch (Throwable t) {
            throw failure("MPI_Barrier", t);
        }
    }

    @Override
    public void abort(int code) {
        try {
            int ignored = (int) abort.invokeExact(world, code);
        } catch (Throwable t) {
            Runtime.getRuntime().halt(code);
        }
        Runtime.getRuntime().halt(code);
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            check("MPI_Finalize", (int) finalizer.invokeExact());
        } catch (Throwable t) {
            throw failure("MPI_Finalize", t);
        }
    }

    private static RuntimeException failure(String call, Throwable t) {
        return t instanceof RuntimeException r ? r : new IllegalStateException(call + " failed: " + t.getMessage(), t);
    }
}
