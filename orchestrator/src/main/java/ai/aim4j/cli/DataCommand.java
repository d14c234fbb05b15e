package ai.aim4j.cli;

import ai.aim4j.arrow.Manifest;
import ai.aim4j.arrow.MappedShard;
import ai.aim4j.arrow.Sampler;
import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.run.Counts;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code aim4j data verify|stats|order}: checking and describing sharded datasets. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Check and describe datasets.",
        subcommands = {DataCommand.Verify.class, DataCommand.Stats.class, DataCommand.Order.class})
final class DataCommand {

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Check every shard's SHA-256, size, schema and row count against the manifest; exit 1 naming any damaged shard.")
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", description = "dataset folder")
        Path dir;

        @Override
        public Integer call() throws Exception {
            List<String> problems = ShardSet.verify(dir);
            if (!problems.isEmpty()) {
                problems.forEach(p -> System.err.println("aim4j: error: " + p));
                return 1;
            }
            Manifest m = Manifest.read(dir);
            System.out.printf("OK %s: %,d rows in %d shards, checksums, sizes, schema and row counts match the manifest%n", dir,
                    m.rows(), m.shards().size());
            return 0;
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "Counts per class, image shape, bytes.")
    static final class Stats implements Callable<Integer> {
        @Parameters(index = "0", description = "dataset folder (aim4j shards, Hugging Face folder or Arrow file)")
        Path dir;

        @Override
        public Integer call() throws Exception {
            try (ShardSet set = ShardSet.open(dir)) {
                long bytes = 0;
                for (MappedShard s : set.shards()) {
                    bytes += s.mapped().byteSize();
                }
                System.out.printf("dataset   %s%nsource    %s%nsplit     %s%nrows      %,d in %d files, %.1f MB%nencoding  %s%n", dir,
                        set.info().source(), set.info().split(), set.size(), set.shards().size(), bytes / 1e6,
                        set.encoding().name().toLowerCase(Locale.ROOT));
                if (set.encoding() == Encoding.RAW) {
                    int[] s = set.rawShape();
                    System.out.printf("images    %d x %d x %d (H x W x C, uint8)%n", s[0], s[1], s[2]);
                }
                Map<Integer, Long> counts = new TreeMap<>();
                for (long i = 0; i < set.size(); i++) {
                    counts.merge(set.label(i), 1L, Long::sum);
                }
                System.out.println("classes");
                List<String> names = set.info().classNames();
                counts.forEach((k, n) -> System.out.printf("  %4d  %-24s %,10d%n", k, k < names.size() ? names.get(k) : "?", n));
            }
            return 0;
        }
    }

    @Command(name = "order", mixinStandardHelpOptions = true, description = "Print the sample ids of an epoch in the order a rank of pre-training receives them.")
    static final class Order implements Callable<Integer> {
        @Parameters(index = "0", description = "dataset folder")
        Path dir;

        @Option(names = "--seed", defaultValue = "0", description = "the run's seed, as pretrain --seed (default: ${DEFAULT-VALUE})")
        long seed;

        @Option(names = "--epoch", defaultValue = "0", description = "the epoch, counted from 0 (default: ${DEFAULT-VALUE})")
        long epoch;

        @Option(names = "--rank", defaultValue = "0", description = "the rank, from 0 to --world - 1 (default: ${DEFAULT-VALUE})")
        int rank;

        @Option(names = "--world", defaultValue = "1", description = "ranks in the job (default: ${DEFAULT-VALUE})")
        int world;

        @Option(names = "--limit", description = "print at most this many")
        Long limit;

        @Override
        public Integer call() throws Exception {
            Counts.atLeast("--epoch", epoch, 0);
            Counts.atLeast("--world", world, 1);
            if (rank < 0 || rank >= world) {
                throw new IllegalArgumentException("--rank must be from 0 to " + (world - 1) + " for --world " + world + ", got " + rank);
            }
            if (limit != null) {
                Counts.atLeast("--limit", limit, 0);
            }
            try (ShardSet set = ShardSet.open(dir)) {
                // The rank's share of the epoch's positions, as pre-training deals them out (and by default all of it).
                long share = rank < set.size() ? (set.size() - rank + world - 1) / world : 0;
                long n = limit == null ? share : Math.min(limit, share);
                Sampler.Strided order = new Sampler(set.size(), seed, rank, world).strided(new Sampler.Cursor(epoch, 0));
                StringBuilder out = new StringBuilder();
                for (long i = 0; i < n; i++) {
                    out.append(set.id(order.next())).append('\n');
                }
                System.out.print(out);
            }
            return 0;
        }
    }
}
