package ai.aim4j.probe;

import ai.aim4j.arrow.Batch;
import ai.aim4j.arrow.BatchLoader;
import ai.aim4j.arrow.DatasetInfo;
import ai.aim4j.arrow.DatasetWriter;
import ai.aim4j.arrow.ListedSamples;
import ai.aim4j.arrow.Manifest;
import ai.aim4j.arrow.ShardSchema.Encoding;
import ai.aim4j.arrow.ShardSet;
import ai.aim4j.arrow.source.ImageSource;
import ai.aim4j.arrow.source.Sample;
import ai.aim4j.arrow.transform.Transform;
import ai.aim4j.data.BatchTensors;
import ai.aim4j.data.PassPlan;
import ai.aim4j.dist.Collectives;
import ai.aim4j.model.Aim;
import ai.aim4j.model.tensor.TensorMemory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongToIntFunction;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;

/**
 * Averaged probe features of a frozen trunk, computed once per image and kept in native memory
 * (reused by every epoch and every grid point): {@code rows x N x D} float32, with labels and ids.
 */
public final class FeatureCache implements AutoCloseable {
    private final Arena arena;
    private final MemorySegment features;
    private final int[] labels;
    private final long[] ids;
    private final int rows;
    private final long rowFloats;
    private final long[] shape;

    private FeatureCache(Arena arena, MemorySegment features, int[] labels, long[] ids, int rows, long tokens, long dim) {
        this.arena = arena;
        this.features = features;
        this.labels = labels;
        this.ids = ids;
        this.rows = rows;
        this.rowFloats = tokens * dim;
        this.shape = new long[] {tokens, dim};
    }

    /**
     * Runs the trunk (no autograd) once over {@code data} in the pass order of {@link PassPlan} and
     * files each sample's features into one of several caches: {@code route} maps a sample id to a
     * cache index (or -1 to drop it); cache {@code k} holds at most {@code limits[k]} samples. Over
     * several ranks each computes its share and the lead gathers them: the lead's caches are the
     * whole parts, in the same order as one process makes them; the other ranks' are empty.
     */
    public static FeatureCache[] compute(Aim aim, ShardSet data, Transform transform, LongToIntFunction route, long[] limits, int batch,
                                         int threads, Collectives comm) {
        return compute(aim::probeFeatures, aim.config().numPatches(), aim.config().dim(), data, transform, route, limits, batch, threads,
                comm);
    }

    /** The model input itself as one {@code (1, C*H*W)} feature row per image: the raw-pixel baseline. */
    public static FeatureCache[] pixels(ShardSet data, Transform transform, LongToIntFunction route, long[] limits, int batch, int threads,
                                        Collectives comm) {
        int[] chw = transform.outputShape();
        long values = (long) chw[0] * chw[1] * chw[2];
        return compute(x -> x.reshape(x.getShape().get(0), 1, values), 1, values, data, transform, route, limits, batch, threads, comm);
    }

    private static FeatureCache[] compute(UnaryOperator<NDArray> featuresOf, long tokens, long dim, ShardSet data, Transform transform,
                                          LongToIntFunction route, long[] limits, int batch, int threads, Collectives comm) {
        PassPlan plan = PassPlan.of(data, route, limits);
        int k = plan.parts();
        long rowBytes = tokens * dim * 4;
        Part[] parts = new Part[k];
        IntStream.Builder mine = IntStream.builder();
        IntStream.Builder partOf = IntStream.builder();
        for (int c = 0; c < k; c++) {
            int[] share = plan.share(c, comm.rank(), comm.world());
            // The lead receives the other ranks' rows after its own: it holds room for the whole part.
            parts[c] = new Part(comm.isLead() ? plan.size(c) : share.length, rowBytes);
            for (int index : share) {
                mine.add(index);
                partOf.add(c);
            }
        }
        int[] samples = mine.build().toArray();
        int[] cacheOf = partOf.build().toArray();
        try (BatchLoader loader = new BatchLoader(data, new ListedSamples(samples), batch, transform, 0, threads, 2, false, w -> { })) {
            int next = 0;
            for (int consumed = 0; consumed < samples.length; ) {
                try (Batch b = loader.next(); NDManager scope = NDManager.newBaseManager()) {
                    consumed += b.size() + b.skipped();
                    float[] values = b.size() == 0 ? new float[0] : featuresOf.apply(BatchTensors.images(b, scope)).toFloatArray();
                    for (int i = 0; i < b.size(); i++) {
                        // An undecodable sample is skipped by the loader: its row is left out.
                        while (data.id(samples[next]) != b.ids()[i]) {
                            next++;
                        }
                        parts[cacheOf[next++]].add(values, (int) (i * tokens * dim), b.labels()[i], b.ids()[i]);
                    }
                }
            }
        }
        FeatureCache[] caches = new FeatureCache[k];
        for (int c = 0; c < k; c++) {
            caches[c] = parts[c].gather(comm, tokens, dim);
        }
        return caches;
    }

    /** One cache being filled: this rank's rows, then (on the lead) every rank's. */
    private static final class Part {
        private final Arena arena = Arena.ofShared();
        private final long rowBytes;
        private final MemorySegment features;
        private final MemorySegment labels;
        private final MemorySegment ids;
        private int rows;

        Part(int capacity, long rowBytes) {
            this.rowBytes = rowBytes;
            this.features = arena.allocate(Math.max(capacity * rowBytes, 4), 64);
            this.labels = arena.allocate(ValueLayout.JAVA_INT, Math.max(capacity, 1));
            this.ids = arena.allocate(ValueLayout.JAVA_LONG, Math.max(capacity, 1));
        }

        void add(float[] values, int from, int label, long id) {
            MemorySegment.copy(values, from, features, Transform.F32, rows * rowBytes, (int) (rowBytes / 4));
            labels.setAtIndex(ValueLayout.JAVA_INT, rows, label);
            ids.setAtIndex(ValueLayout.JAVA_LONG, rows, id);
            rows++;
        }

        /** The whole part on the lead (every rank's rows in rank order), an empty cache elsewhere. */
        FeatureCache gather(Collectives comm, long tokens, long dim) {
            int total = (int) (comm.gatherToLead(features, rows * rowBytes) / rowBytes);
            comm.gatherToLead(labels, rows * 4L);
            comm.gatherToLead(ids, rows * 8L);
            if (!comm.isLead()) {
                arena.close();
                return new FeatureCache(Arena.ofShared(), MemorySegment.NULL, new int[0], new long[0], 0, tokens, dim);
            }
            int[] l = labels.asSlice(0, total * 4L).toArray(ValueLayout.JAVA_INT);
            long[] i = ids.asSlice(0, total * 8L).toArray(ValueLayout.JAVA_LONG);
            return new FeatureCache(arena, features, l, i, total, tokens, dim);
        }
    }

    /**
     * Writes the cache as Arrow feature shards with a manifest (atomic files); {@code params} go into
     * the manifest, so a later run can tell whether the shards are the features it needs.
     */
    public void write(Path dir, DatasetInfo info, Map<String, Object> params) throws IOException {
        long bytes = rowFloats * 4;
        ImageSource source = new ImageSource() {
            public DatasetInfo info() {
                return info;
            }

            public long size() {
                return rows;
            }

            public Encoding encoding() {
                return Encoding.FEATURES;
            }

            public int[] rawShape() {
                return new int[] {(int) shape[0], (int) shape[1]};
            }

            public Sample get(long row) {
                return new Sample(ids[(int) row], labels[(int) row], features.asSlice(row * bytes, bytes).toArray(ValueLayout.JAVA_BYTE), null);
            }
        };
        DatasetWriter.write(source, dir, Math.max(1, (int) Math.min(rows, 8)), null, params, n -> { });
    }

    /** Reads feature shards written by {@link #write}, if their manifest records exactly {@code params}; else null. */
    public static FeatureCache read(Path dir, Map<String, Object> params) throws IOException {
        if (!Files.isRegularFile(dir.resolve(Manifest.FILE))) {
            return null;
        }
        Map<String, Object> recorded = new LinkedHashMap<>(Manifest.read(dir).createdBy());
        recorded.remove("tool");
        if (!new ObjectMapper().valueToTree(recorded)
                .equals(new ObjectMapper().valueToTree(params))) {
            return null;
        }
        try (ShardSet set = ShardSet.open(dir)) {
            if (set.encoding() != Encoding.FEATURES) {
                throw new IOException(dir + ": not a feature set");
            }
            int[] s = set.rawShape();
            long rowBytes = 4L * s[0] * s[1];
            int n = (int) set.size();
            Arena arena = Arena.ofShared();
            MemorySegment out = arena.allocate(Math.max(n * rowBytes, 4), 64);
            int[] labels = new int[n];
            long[] ids = new long[n];
            for (int i = 0; i < n; i++) {
                MemorySegment.copy(set.features(i), 0, out, i * rowBytes, rowBytes);
                labels[i] = set.label(i);
                ids[i] = set.id(i);
            }
            return new FeatureCache(arena, out, labels, ids, n, s[0], s[1]);
        }
    }

    public int rows() {
        return rows;
    }

    public int label(int row) {
        return labels[row];
    }

    public int[] labels() {
        return labels.clone();
    }

    /** Rows {@code order[from..to)} gathered into an NDArray {@code (n, N, D)} of {@code scope}. */
    public NDArray batch(int[] order, int from, int to, NDManager scope) {
        int n = to - from;
        // Gathered straight into the tensor's own memory: one copy of the rows, no staging buffer.
        NDArray out = scope.create(new Shape(n, shape[0], shape[1]), DataType.FLOAT32);
        MemorySegment rowsOut = TensorMemory.of(out);
        for (int i = 0; i < n; i++) {
            MemorySegment.copy(features, (long) order[from + i] * rowFloats * 4, rowsOut, (long) i * rowFloats * 4, rowFloats * 4);
        }
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }
}
