package ai.aim4j.interop.pickle;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;

/**
 * A restricted unpickler for PyTorch state dicts, on Pyrolite's pure-Java pickle machine. Every
 * global the pickle names must be one of the few a state dict needs ({@code OrderedDict}, the tensor
 * and parameter rebuild functions, the storage classes); anything else, and the opcodes that build
 * arbitrary objects, stop the load with an error naming the global. Nothing is ever executed: the
 * allowed globals are Java functions that only assemble {@link TensorRef} descriptions. Reading costs
 * no more than the pickle's size (see {@link BoundedUnpickler}), and dict keys are str or int.
 */
public final class StateDictUnpickler {
    private static final Set<String> STORAGES = Set.of("FloatStorage", "DoubleStorage", "HalfStorage", "BFloat16Storage",
            "LongStorage", "IntStorage", "ShortStorage", "CharStorage", "ByteStorage", "BoolStorage");

    /** A storage class named by a pickle (the element type of the storage it accompanies). */
    public record StorageType(String name) {}

    /** A storage from the archive's {@code data/<key>} entry. */
    public record StorageRef(String key, StorageType type, long numel) {}

    /** The result of {@code _rebuild_tensor_v2}: a strided view of a storage. */
    public record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {}

    /** An {@code OrderedDict}; its {@code _metadata} attribute (set by BUILD) is kept aside. */
    static final class OrderedDict extends LinkedHashMap<Object, Object> {
        private static final long serialVersionUID = 1L;
    }

    /** A global, opcode or persistent id a state dict never needs; the reader reports it as unsafe. */
    public static final class RefusedGlobal extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RefusedGlobal(String what) {
            super(what, null, false, false);
        }
    }

    private StateDictUnpickler() {}

    /**
     * Unpickles a whole {@code data.pkl}: dicts (str or int keys), lists, tuples, scalars,
     * {@link TensorRef}s.
     *
     * @throws MalformedPickleException if the bytes are not a well-formed pickle or declare more than they hold
     * @throws RefusedGlobal if the pickle names anything a state dict never needs
     */
    public static Object load(byte[] pickle) throws MalformedPickleException {
        try {
            return new Machine(pickle).run();
        } catch (RefusedGlobal e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // Pyrolite reports inconsistent opcodes as whatever its casts and pops throw: on hostile
            // input, any failure of the machine means a malformed pickle.
            String problem = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new MalformedPickleException(problem, e);
        }
    }

    private static final class Machine extends BoundedUnpickler {
        private final Map<String, IObjectConstructor> allowed = new LinkedHashMap<>();
        private final Map<String, StorageType> storageTypes = new LinkedHashMap<>();

        Machine(byte[] pickle) {
            super(pickle);
            allowed.put("collections.OrderedDict", args -> {
                if (args.length != 0) {
                    throw new PickleException("OrderedDict with constructor arguments");
                }
                return new OrderedDict();
            });
            allowed.put("torch._utils._rebuild_tensor_v2", Machine::rebuildTensor);
            allowed.put("torch._utils._rebuild_tensor", Machine::rebuildTensor);
            // A Parameter pickles as its data plus requires_grad and hooks; the data is all a state dict keeps.
            allowed.put("torch._utils._rebuild_parameter", args -> args[0]);
            for (String s : STORAGES) {
                storageTypes.put("torch." + s, new StorageType(s));
            }
        }

        private static Object rebuildTensor(Object[] args) {
            if (args.length < 4 || !(args[0] instanceof StorageRef storage)) {
                throw new PickleException("_rebuild_tensor_v2 without a storage");
            }
            return new TensorRef(storage, toLong(args[1]), longs(args[2]), longs(args[3]));
        }

        private static long toLong(Object o) {
            if (o instanceof Integer || o instanceof Long) {
                return ((Number) o).longValue();
            }
            throw new PickleException("expected an integer of at most 64 bits, got " + pythonType(o));
        }

        private static long[] longs(Object o) {
            if (!(o instanceof Object[] tuple)) {
                throw new PickleException("expected a tuple of integers");
            }
            long[] out = new long[tuple.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = toLong(tuple[i]);
            }
            return out;
        }

        private Object resolve(String module, String name) {
            String global = module + "." + name;
            StorageType storage = storageTypes.get(global);
            if (storage != null) {
                return storage;
            }
            IObjectConstructor c = allowed.get(global);
            if (c == null) {
                throw new RefusedGlobal(global);
            }
            return c;
        }

        @Override
        protected Object dispatch(short opcode) throws PickleException, IOException {
            switch (opcode) {
                case Opcodes.GLOBAL -> {
                    String module = PickleUtils.readline(input);
                    String name = PickleUtils.readline(input);
                    stack.add(resolve(module, name));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.STACK_GLOBAL -> {
                    Object name = stack.pop();
                    Object module = stack.pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw new RefusedGlobal("STACK_GLOBAL with non-string operands");
                    }
                    stack.add(resolve(m, n));
                    return NO_RETURN_VALUE;
                }
                case Opcodes.INST, Opcodes.OBJ -> throw new RefusedGlobal("the INST/OBJ opcodes (old-style object construction)");
                case Opcodes.EXT1, Opcodes.EXT2, Opcodes.EXT4 -> throw new RefusedGlobal("the EXT opcodes (copyreg extension registry)");
                case Opcodes.BUILD -> {
                    stack.pop();
                    Object target = stack.peek();
                    if (!(target instanceof OrderedDict)) {
                        throw new RefusedGlobal("BUILD (setting the state) of a " + pythonType(target));
                    }
                    // torch.save sets OrderedDict._metadata (module versions); it carries no tensors.
                    return NO_RETURN_VALUE;
                }
                default -> {
                    return super.dispatch(opcode);
                }
            }
        }

        @Override
        protected Object persistentLoad(Object pid) {
            if (!(pid instanceof Object[] t) || t.length != 5 || !"storage".equals(t[0]) || !(t[1] instanceof StorageType type)
                    || !(t[2] instanceof String key)) {
                throw new RefusedGlobal("a persistent id that is not a PyTorch storage reference");
            }
            return new StorageRef(key, type, toLong(t[4]));
        }
    }
}
