package ai.aim4j.train;

import ai.aim4j.dist.Collectives;
import ai.aim4j.dist.SharedFailure;
import ai.aim4j.model.tensor.TensorMemory;
import ai.djl.ndarray.NDArray;
import java.util.Collection;
import java.util.zip.CRC32C;

/**
 * Data-parallel ranks must hold the same parameters, bit for bit: every rank applies the same update
 * to the same sums. A CRC-32C of every parameter's bytes, compared across ranks, catches the day they
 * do not (a rank on other natives, a non-deterministic reduction) before the runs silently drift.
 */
final class ParameterChecksum {
    private ParameterChecksum() {}

    /** The CRC-32C of the parameters' bytes, in order. */
    static long of(Collection<NDArray> parameters) {
        CRC32C crc = new CRC32C();
        for (NDArray p : parameters) {
            crc.update(TensorMemory.of(p).asByteBuffer());
        }
        return crc.getValue();
    }

    /** Throws, on every rank alike, when the ranks' parameters differ at {@code step}. */
    static void verify(Collectives comm, Collection<NDArray> parameters, long step) {
        long[] sums = comm.allGather(of(parameters));
        for (int r = 1; r < sums.length; r++) {
            if (sums[r] != sums[0]) {
                throw new SharedFailure("step " + step + ": the parameters of rank " + r + " differ from rank 0's (CRC-32C "
                        + Long.toHexString(sums[r]) + " against " + Long.toHexString(sums[0]) + "); the ranks diverged and the job stopped");
            }
        }
    }
}
