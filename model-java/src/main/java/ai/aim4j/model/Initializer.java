package ai.aim4j.model;

import ai.aim4j.model.AimWeights.Parts;
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
import java.util.function.ToDoubleFunction;

/**
 * The official random initialization of an AIM model: xavier-uniform for every linear weight and,
 * as in MAE, for the patch convolution on its flattened {@code (D, C*ph*pw)} view; zero biases;
 * LayerNorm scale 1 and shift 0; the probe's query {@code N(0, 0.02)}; BatchNorm statistics 0 and 1.
 *
 * <p>Each tensor draws from its own stream, seeded by the run seed and the tensor's name, so a
 * tensor's values do not depend on which other tensors exist or the order they are generated in.
 */
public final class Initializer {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Initializer() {}

    /** Every tensor of the model as a lazy source (values generated when a writer asks for them). */
    public static SequencedMap<String, TensorSource> tensors(AimConfig config, Parts parts, long seed) {
        return tensors(AimWeights.shapes(config, parts), seed);
    }

    /** Tensors of any shape table, by the same rules (names decide: {@code .bias}, 1-D {@code .weight}, ...). */
    public static SequencedMap<String, TensorSource> tensors(SequencedMap<String, long[]> shapes, long seed) {
        SequencedMap<String, TensorSource> out = new LinkedHashMap<>();
        for (var e : shapes.entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            out.put(name, name.equals(AimWeights.BN_TRACKED) ? HostTensor.ofLongs(shape, new long[] {0}) : lazy(name, shape, seed));
        }
        return out;
    }

    /** The same tensors generated at once into memory. */
    public static SequencedMap<String, HostTensor> materialize(AimConfig config, Parts parts, long seed) {
        return materialize(AimWeights.shapes(config, parts), seed);
    }

    /** Tensors of any shape table generated at once into memory. */
    public static SequencedMap<String, HostTensor> materialize(SequencedMap<String, long[]> shapes, long seed) {
        SequencedMap<String, HostTensor> out = new LinkedHashMap<>();
        tensors(shapes, seed).forEach((k, v) -> out.put(k, new HostTensor(v.dtype(), v.shape(), v.bytes())));
        return out;
    }

    private static TensorSource lazy(String name, long[] shape, long seed) {
        return new TensorSource() {
            @Override
            public DType dtype() {
                return DType.F32;
            }

            @Override
            public long[] shape() {
                return shape.clone();
            }

            @Override
            public MemorySegment bytes() {
                return generate(name, shape, seed);
            }
        };
    }

    private static MemorySegment generate(String name, long[] shape, long seed) {
        long n = HostTensor.numel(shape);
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ mix(name));
        ToDoubleFunction<SplittableRandom> draw = rule(name, shape);
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(n * 4, 4), 64).asSlice(0, n * 4);
        for (long i = 0; i < n; i++) {
            seg.setAtIndex(F32, i, (float) draw.applyAsDouble(rng));
        }
        return seg;
    }

    private static ToDoubleFunction<SplittableRandom> rule(String name, long[] shape) {
        if (name.endsWith("running_var") || (shape.length == 1 && name.endsWith(".weight"))) {
            return r -> 1.0; // LayerNorm scale, BatchNorm variance
        }
        if (name.endsWith(".bias") || name.endsWith("running_mean")) {
            return r -> 0.0;
        }
        if (name.endsWith("cls_token")) {
            return r -> 0.02 * gaussian(r);
        }
        // Linear (out, in) or conv (out, C, ph, pw) flattened to (out, C*ph*pw).
        long fanOut = shape[0];
        long fanIn = HostTensor.numel(shape) / fanOut;
        double bound = Math.sqrt(6.0 / (fanIn + fanOut));
        return r -> r.nextDouble(-bound, bound);
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
