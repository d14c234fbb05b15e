package ai.aim4j.model.nn;

import ai.aim4j.model.tensor.DType;
import ai.aim4j.model.tensor.HostTensor;
import ai.aim4j.model.tensor.TensorSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.SequencedMap;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * The initial values of a model tree, each parameter by its declared {@link Init}. Each tensor draws
 * from its own stream, seeded by the run seed and the tensor's name, so a tensor's values depend
 * neither on which other tensors exist nor on the order they are generated in.
 */
public final class Initializer {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Initializer() {}

    /** Every persistent tensor of the tree as a lazy source (generated when a writer asks for it). */
    public static SequencedMap<String, TensorSource> tensors(Layer tree, long seed) {
        SequencedMap<String, TensorSource> out = new LinkedHashMap<>();
        tree.namedParameters().forEach((name, p) -> {
            if (p.persistent()) {
                out.put(name, lazy(name, p, seed));
            }
        });
        return out;
    }

    /** The same tensors generated at once into memory. */
    public static SequencedMap<String, HostTensor> materialize(Layer tree, long seed) {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        tensors(tree, seed).forEach((k, v) -> out.put(k, new HostTensor(v.dtype(), v.shape(), v.bytes())));
        return out;
    }

    /**
     * One parameter's initial value: float32, except the batch counter (int64) and computed tables,
     * which stay in double precision until the model casts them (a float64 run gets the exact table).
     */
    public static HostTensor initial(String name, Parameter p, long seed) {
        if (p.kind() == Kind.BATCH_COUNT) {
            return HostTensor.ofLongs(p.shape(), new long[Math.toIntExact(p.numel())]);
        }
        if (p.init() instanceof Init.Table table) {
            double[] values = table.values().get();
            if (values.length != p.numel()) {
                throw new IllegalStateException(name + ": a table of " + values.length + " values for " + p.numel() + " elements");
            }
            return HostTensor.ofDoubles(p.shape(), values);
        }
        return new HostTensor(DType.F32, p.shape(), generate(name, p, seed));
    }

    private static DType dtypeOf(Parameter p) {
        return p.kind() == Kind.BATCH_COUNT ? DType.I64 : p.init() instanceof Init.Table ? DType.F64 : DType.F32;
    }

    private static TensorSource lazy(String name, Parameter p, long seed) {
        return new TensorSource() {
            @Override
            public DType dtype() {
                return dtypeOf(p);
            }

            @Override
            public long[] shape() {
                return p.shape();
            }

            @Override
            public MemorySegment bytes() {
                return initial(name, p, seed).data();
            }
        };
    }

    private static MemorySegment generate(String name, Parameter p, long seed) {
        long n = p.numel();
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(n * 4, 4), 64).asSlice(0, n * 4);
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ mix(name));
        DoubleSupplier draw = switch (p.init()) {
            case Init.Constant c -> c::value;
            case Init.Normal normal -> () -> normal.std() * gaussian(rng);
            case Init.XavierUniform x -> {
                long[] shape = p.shape();
                long fanOut = shape[0];
                long fanIn = n / fanOut;
                double bound = Math.sqrt(6.0 / (fanIn + fanOut));
                yield () -> rng.nextDouble(-bound, bound);
            }
            case Init.Table t -> throw new IllegalStateException("tables are not drawn");
        };
        for (long i = 0; i < n; i++) {
            seg.setAtIndex(F32, i, (float) draw.getAsDouble());
        }
        return seg;
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller: two uniforms to one standard normal.
        double u = 1.0 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2.0 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    private static long mix(String name) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < name.length(); i++) {
            h = (h ^ name.charAt(i)) * 0x100000001b3L;
        }
        return h;
    }
}
