package ai.aim4j.dist;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Run by every rank of {@link OpenMpiTest}'s job: each collective on rank-dependent values, the results printed. */
public final class CollectivesCheck {
    private CollectivesCheck() {}

    public static void main(String[] args) {
        try (Collectives c = Jobs.join(); Arena arena = Arena.ofConfined()) {
            int r = c.rank();
            // 3e6 floats: more than one network packet, and an odd size.
            MemorySegment floats = arena.allocate(ValueLayout.JAVA_FLOAT, 3_000_001);
            for (long i = 0; i < floats.byteSize() / 4; i++) {
                floats.setAtIndex(ValueLayout.JAVA_FLOAT, i, r + i % 7);
            }
            c.allReduceFloats(floats);
            double[] d = {r, 0.5};
            c.allReduceDoubles(d);
            long[] l = {r, 1L << 40};
            c.allReduceLongs(l);
            long[] gathered = c.allGather(10L * r);
            byte[][] texts = c.allGather(("rank " + r + "!".repeat(r)).getBytes(StandardCharsets.UTF_8));
            // Buckets of 64 bytes: the 3-, 5-, 10- and 1-float arrays travel packed, the 20-float one (80 bytes) alone.
            List<MemorySegment> arrays = new ArrayList<>();
            for (int n : new int[] {3, 20, 5, 10, 1}) {
                MemorySegment a = arena.allocate(ValueLayout.JAVA_FLOAT, n);
                for (int i = 0; i < n; i++) {
                    a.setAtIndex(ValueLayout.JAVA_FLOAT, i, 100 * r + i);
                }
                arrays.add(a);
            }
            long summed;
            try (BucketedSum buckets = new BucketedSum(c, 64)) {
                summed = buckets.sum(arrays);
            }
            boolean bucketsRight = arrays.stream().allMatch(a -> {
                for (int i = 0; i < a.byteSize() / 4; i++) {
                    if (a.getAtIndex(ValueLayout.JAVA_FLOAT, i) != 100 * (c.world() * (c.world() - 1) / 2) + c.world() * i) {
                        return false;
                    }
                }
                return true;
            });
            // Rank r sends r + 1 bytes of value r; the lead ends with 0 11 222 ...
            MemorySegment parts = arena.allocate(c.isLead() ? (long) c.world() * (c.world() + 1) / 2 : r + 1);
            parts.asSlice(0, r + 1).fill((byte) r);
            long gatheredBytes = c.gatherToLead(parts, r + 1);
            StringBuilder lead = new StringBuilder();
            for (long i = 0; c.isLead() && i < gatheredBytes; i++) {
                lead.append(parts.get(ValueLayout.JAVA_BYTE, i));
            }
            c.barrier();
            StringBuilder out = new StringBuilder("rank " + r + " of " + c.world() + " local " + c.localRank());
            out.append(" floats ").append(floats.getAtIndex(ValueLayout.JAVA_FLOAT, 0)).append(',')
                    .append(floats.getAtIndex(ValueLayout.JAVA_FLOAT, 3_000_000));
            out.append(" doubles ").append(Arrays.toString(d)).append(" longs ").append(Arrays.toString(l));
            out.append(" buckets ").append(summed).append(bucketsRight ? " right" : " wrong");
            out.append(" to lead ").append(gatheredBytes).append(' ').append(lead);
            out.append(" gathered ").append(Arrays.toString(gathered)).append(" texts");
            for (byte[] t : texts) {
                out.append(' ').append(new String(t, StandardCharsets.UTF_8));
            }
            System.out.println(out);
        }
    }
}
