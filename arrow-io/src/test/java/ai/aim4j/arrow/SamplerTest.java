package ai.aim4j.arrow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SamplerTest {
    @Test
    void everySampleExactlyOncePerEpochAcrossRanks() {
        for (long size : new long[] {1, 7, 100, 1001}) {
            for (int world : new int[] {1, 2, 3, 8}) {
                for (long epoch : new long[] {0, 1, 5}) {
                    int[] seen = new int[(int) size];
                    long min = Long.MAX_VALUE;
                    long max = 0;
                    for (int rank = 0; rank < world; rank++) {
                        Sampler.Strided s = new Sampler(size, 42, rank, world).strided(new Sampler.Cursor(epoch, 0));
                        long mine = 0;
                        while (s.nextEpoch() == epoch) {
                            seen[s.next()]++;
                            mine++;
                        }
                        min = Math.min(min, mine);
                        max = Math.max(max, mine);
                    }
                    final long n = size;
                    assertTrue(Arrays.stream(seen).allMatch(c -> c == 1), () -> "size " + n + " world " + world + " epoch " + epoch);
                    assertTrue(max - min <= 1, "ranks differ by at most one sample of an epoch");
                }
            }
        }
    }

    @Test
    void epochsAndSeedsShuffleDifferentlyAndReproducibly() {
        assertArrayEquals(Sampler.permutation(1000, 1, 3), Sampler.permutation(1000, 1, 3));
        assertFalse(Arrays.equals(Sampler.permutation(1000, 1, 3), Sampler.permutation(1000, 1, 4)));
        assertFalse(Arrays.equals(Sampler.permutation(1000, 1, 3), Sampler.permutation(1000, 2, 3)));
    }

    @Test
    void oneRankStreamsTheEpochsPermutationsBackToBack() {
        Sampler.Strided s = new Sampler(37, 5, 0, 1).strided(new Sampler.Cursor(2, 11));
        for (long epoch = 2; epoch < 6; epoch++) {
            int[] p = Sampler.permutation(37, 5, epoch);
            for (int i = epoch == 2 ? 11 : 0; i < 37; i++) {
                assertEquals(new Sampler.Cursor(epoch, i), s.cursor());
                assertEquals(epoch, s.nextEpoch());
                assertEquals(p[i], s.next(), "epoch " + epoch + " position " + i);
            }
        }
    }

    @Test
    void ranksOfTheStridedStreamTakeConsecutiveGlobalSamplesInTurn() {
        long size = 23;
        int[] global = new int[200];
        long[] globalEpochs = new long[200];
        Sampler.Strided one = new Sampler(size, 3, 0, 1).strided(new Sampler.Cursor(0, 4));
        for (int i = 0; i < global.length; i++) {
            globalEpochs[i] = one.nextEpoch();
            global[i] = one.next();
        }
        for (int world : new int[] {2, 3, 5}) {
            Sampler.Strided[] ranks = new Sampler.Strided[world];
            for (int r = 0; r < world; r++) {
                ranks[r] = new Sampler(size, 3, r, world).strided(new Sampler.Cursor(0, 4));
            }
            for (int round = 0; round < global.length / world; round++) {
                for (int r = 0; r < world; r++) {
                    int g = round * world + r;
                    assertEquals(globalEpochs[g], ranks[r].nextEpoch(), "world " + world + " global sample " + g);
                    assertEquals(global[g], ranks[r].next(), "world " + world + " global sample " + g);
                }
                Sampler.Cursor after = ranks[0].cursor();
                for (int r = 1; r < world; r++) {
                    assertEquals(after, ranks[r].cursor(), "every rank names one global cursor after a round");
                }
                long position = 4 + (round + 1L) * world;
                assertEquals(new Sampler.Cursor(position / size, position % size), after);
            }
        }
    }

    @Test
    void aStridedCursorResumesExactlyAtAnyWorldSize() {
        long size = 29;
        Sampler.Strided straight = new Sampler(size, 8, 0, 1).strided(new Sampler.Cursor(0, 0));
        int[] expected = new int[240];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = straight.next();
        }
        // Two ranks for 30 rounds, then three ranks from the saved cursor: the samples continue the one stream.
        Sampler.Strided[] two = {new Sampler(size, 8, 0, 2).strided(new Sampler.Cursor(0, 0)),
                new Sampler(size, 8, 1, 2).strided(new Sampler.Cursor(0, 0))};
        for (int g = 0; g < 60; g++) {
            assertEquals(expected[g], two[g % 2].next());
        }
        Sampler.Cursor saved = two[1].cursor();
        for (int r = 0; r < 3; r++) {
            Sampler.Strided resumed = new Sampler(size, 8, r, 3).strided(saved);
            for (int g = 60 + r; g < expected.length; g += 3) {
                assertEquals(expected[g], resumed.next(), "rank " + r + " of 3, global sample " + g);
            }
        }
    }
}
