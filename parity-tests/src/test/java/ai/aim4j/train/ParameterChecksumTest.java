package ai.aim4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.aim4j.dist.Collectives;
import ai.aim4j.dist.SharedFailure;
import ai.aim4j.dist.SingleProcess;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The cross-rank parameter check: a CRC-32C of the parameters' bytes, and a divergence that stops the job naming its step. */
class ParameterChecksumTest {
    /** Two ranks as rank 0 sees them, the other rank reporting {@code theirs}. */
    private static Collectives twoRanks(long theirs) {
        return new Collectives() {
            public int rank() {
                return 0;
            }

            public int world() {
                return 2;
            }

            public int localRank() {
                return 0;
            }

            public void allReduceFloats(MemorySegment values) {}

            public void allReduceDoubles(double[] values) {}

            public void allReduceLongs(long[] values) {}

            public long[] allGather(long value) {
                return new long[] {value, theirs};
            }

            public byte[][] allGather(byte[] bytes) {
                return new byte[][] {bytes, bytes};
            }

            public long gatherToLead(MemorySegment buffer, long bytes) {
                return bytes;
            }

            public void barrier() {}

            public void abort(int code) {}

            public void close() {}
        };
    }

    @Test
    void theChecksumIsTheCrcOfTheParameterBytesAndDivergenceStopsNamingTheStep() {
        try (NDManager m = NDManager.newBaseManager()) {
            List<NDArray> params = List.of(m.create(new float[] {1f, -2f, 3.5f}), m.create(new float[][] {{0.25f}, {7f}}));
            CRC32C expected = new CRC32C();
            for (float f : new float[] {1f, -2f, 3.5f, 0.25f, 7f}) {
                int bits = Float.floatToRawIntBits(f);
                expected.update(new byte[] {(byte) bits, (byte) (bits >> 8), (byte) (bits >> 16), (byte) (bits >> 24)});
            }
            long sum = ParameterChecksum.of(params);
            assertEquals(expected.getValue(), sum);

            ParameterChecksum.verify(SingleProcess.INSTANCE, params, 7);
            ParameterChecksum.verify(twoRanks(sum), params, 7);
            params.getFirst().set(new float[] {1f, -2f, Math.nextUp(3.5f)});
            assertNotEquals(sum, ParameterChecksum.of(params), "one ulp changes the checksum");
            SharedFailure e = assertThrows(SharedFailure.class, () -> ParameterChecksum.verify(twoRanks(sum), params, 7));
            assertTrue(e.getMessage().startsWith("step 7: the parameters of rank 1 differ from rank 0's"), e.getMessage());
        }
    }
}
