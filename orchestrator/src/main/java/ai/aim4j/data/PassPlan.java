package ai.aim4j.data;

import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSet;
import java.util.Arrays;
import java.util.function.LongToIntFunction;

/**
 * The samples of one pass over a dataset (features, the probe's parts, an evaluation) and each
 * rank's share of them. The pass visits the dataset in the order of the sampler's epoch 0 with seed
 * 0; each sample goes to the part its id is routed to (or to none) until every part holds its
 * limit. A part is split over the ranks in contiguous blocks, so the blocks gathered in rank order
 * are the part in pass order, whatever the number of ranks.
 */
public final class PassPlan {
    private final int[][] parts;

    private PassPlan(int[][] parts) {
        this.parts = parts;
    }

    /**
     * @param route  a sample id's part, or -1 for none
     * @param limits the most samples of each part
     */
    public static PassPlan of(ShardSet data, LongToIntFunction route, long[] limits) {
        int k = limits.length;
        int[][] parts = new int[k][];
        int[] filled = new int[k];
        for (int c = 0; c < k; c++) {
            parts[c] = new int[(int) Math.min(limits[c], data.size())];
        }
        int open = (int) Arrays.stream(parts).filter(p -> p.length > 0).count();
        for (int index : Sampler.permutation(data.size(), 0, 0)) {
            if (open == 0) {
                break;
            }
            int c = route.applyAsInt(data.id(index));
            if (c >= 0 && filled[c] < parts[c].length) {
                parts[c][filled[c]++] = index;
                open -= filled[c] == parts[c].length ? 1 : 0;
            }
        }
        for (int c = 0; c < k; c++) {
            parts[c] = Arrays.copyOf(parts[c], filled[c]);
        }
        return new PassPlan(parts);
    }

    /** The whole dataset, at most {@code limit} samples, as one part. */
    public static PassPlan firstOf(ShardSet data, long limit) {
        return of(data, id -> 0, new long[] {limit});
    }

    public int parts() {
        return parts.length;
    }

    /** Samples of part {@code part}. */
    public int size(int part) {
        return parts[part].length;
    }

    /** The first position of rank {@code rank}'s block of {@code n} samples. */
    public static int blockStart(int n, int rank, int world) {
        return (int) ((long) n * rank / world);
    }

    /** Dataset indices of rank {@code rank}'s block of part {@code part}, in pass order. */
    public int[] share(int part, int rank, int world) {
        int n = parts[part].length;
        return Arrays.copyOfRange(parts[part], blockStart(n, rank, world), blockStart(n, rank + 1, world));
    }
}
