package ai.aim4j.interop.pickle;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Pyrolite's pickle machine over a pickle held in memory, made to cost no more than the pickle's own
 * size. Pyrolite allocates whatever length an opcode declares before reading it, parses decimal
 * integers of any length in quadratic time, hashes dict keys and set members of any nesting depth
 * recursively, and trims its lists after every APPENDS and POP_MARK (quadratic over many small ones);
 * here each of those is checked or done in linear time first.
 */
abstract class BoundedUnpickler extends Unpickler {
    /**
     * Python itself refuses to parse a decimal int of more digits than this
     * ({@code sys.int_info.default_max_str_digits}), so no pickle it reads back has longer ones.
     */
    static final int MAX_INT_DIGITS = 4300;

    /**
     * Items the machine's stack may hold. A state dict's pickle holds at most one batch of 1,000
     * key-value pairs (pickle's batch size) and the pieces of one tensor at a time; a pickle that
     * pushes more is building something else, and each item costs heap.
     */
    static final int MAX_STACK = 10_000;

    /**
     * How deep containers may nest. A state dict nests about four deep (a dict of rebuild calls whose
     * arguments hold tuples of sizes), a whole training checkpoint a few more.
     */
    static final int MAX_DEPTH = 100;

    private final ByteArrayInputStream source;
    /** The nesting depth of each container built so far that holds other containers (the rest are 1 deep). */
    private final Map<Object, Integer> depths = new IdentityHashMap<>();

    BoundedUnpickler(byte[] pickle) {
        this.source = new ByteArrayInputStream(pickle);
    }

    /** Runs the machine over the whole pickle. */
    final Object run() throws IOException {
        return load(source);
    }

    @Override
    protected Object dispatch(short opcode) throws PickleException, IOException {
        if (stack.size() >= MAX_STACK) {
            throw new PickleException("the pickle's stack grows past " + MAX_STACK + " items (a state dict's never does)");
        }
        switch (opcode) {
            case Opcodes.TUPLE, Opcodes.TUPLE1, Opcodes.TUPLE2, Opcodes.TUPLE3, Opcodes.LIST -> {
                Object result = super.dispatch(opcode);
                Object built = stack.peek();
                nest(built, elements(built));
                return result;
            }
            case Opcodes.APPEND -> {
                Object value = stack.pop();
                if (!(stack.peek() instanceof List<?>)) {
                    throw new PickleException("APPEND without a list");
                }
                @SuppressWarnings("unchecked")
                List<Object> list = (List<Object>) stack.peek();
                list.add(value);
                nest(list, List.of(value));
                return NO_RETURN_VALUE;
            }
            case Opcodes.SHORT_BINBYTES, Opcodes.SHORT_BINUNICODE, Opcodes.SHORT_BINSTRING, Opcodes.LONG1 -> checkDeclaredLength(opcode, 1);
            case Opcodes.BINBYTES, Opcodes.BINUNICODE, Opcodes.BINSTRING, Opcodes.LONG4 -> checkDeclaredLength(opcode, 4);
            case Opcodes.BINBYTES8, Opcodes.BINUNICODE8, Opcodes.BYTEARRAY8, Opcodes.FRAME -> checkDeclaredLength(opcode, 8);
            case Opcodes.LONG -> checkDigits();
            case Opcodes.SETITEM -> {
                Object value = stack.pop();
                Object key = stack.pop();
                Map<Object, Object> dict = dictOnTop("SETITEM");
                dict.put(hashable(key), value);
                nest(dict, List.of(value));
                return NO_RETURN_VALUE;
            }
            case Opcodes.EMPTY_DICT -> {
                // Pyrolite's dicts are HashMaps, which lose the order of a state dict's keys.
                stack.add(new LinkedHashMap<>());
                return NO_RETURN_VALUE;
            }
            case Opcodes.SETITEMS -> {
                // Pyrolite gathers the items into a HashMap first, which loses their order.
                List<Object> flat = stack.pop_all_since_marker();
                Map<Object, Object> dict = dictOnTop("SETITEMS");
                putAll(dict, flat);
                nest(dict, flat);
                return NO_RETURN_VALUE;
            }
            case Opcodes.DICT -> {
                Map<Object, Object> dict = new LinkedHashMap<>();
                List<Object> flat = stack.pop_all_since_marker();
                putAll(dict, flat);
                nest(dict, flat);
                stack.add(dict);
                return NO_RETURN_VALUE;
            }
            case Opcodes.ADDITEMS -> {
                List<Object> items = stack.pop_all_since_marker();
                if (!(stack.peek() instanceof Set<?>)) {
                    throw new PickleException("ADDITEMS without a set");
                }
                @SuppressWarnings("unchecked")
                Set<Object> set = (Set<Object>) stack.peek();
                items.forEach(i -> set.add(hashable(i)));
                return NO_RETURN_VALUE;
            }
            case Opcodes.FROZENSET -> {
                Set<Object> set = new HashSet<>();
                stack.pop_all_since_marker().forEach(i -> set.add(hashable(i)));
                stack.add(set);
                return NO_RETURN_VALUE;
            }
            case Opcodes.APPENDS -> {
                List<Object> items = stack.pop_all_since_marker();
                if (!(stack.peek() instanceof List<?>)) {
                    throw new PickleException("APPENDS without a list");
                }
                @SuppressWarnings("unchecked")
                List<Object> list = (List<Object>) stack.peek();
                list.addAll(items);
                nest(list, items);
                return NO_RETURN_VALUE;
            }
            case Opcodes.POP_MARK -> {
                stack.pop_all_since_marker();
                return NO_RETURN_VALUE;
            }
            default -> { }
        }
        return super.dispatch(opcode);
    }

    /**
     * Reads the length an opcode declares, refuses one longer than what is left of the pickle, and
     * rewinds so that Pyrolite reads it again and allocates no more than the pickle holds.
     */
    private void checkDeclaredLength(short opcode, int width) throws IOException {
        source.mark(width);
        byte[] b = source.readNBytes(width);
        if (b.length < width) {
            throw new PickleException(opcodeName(opcode) + " is cut off before its length");
        }
        long length = 0;
        for (int i = width - 1; i >= 0; i--) {
            length = length << 8 | (b[i] & 0xff);
        }
        int left = source.available();
        // An eight-byte length of 2^63 or more comes out negative: refused as too long all the same.
        if (length < 0 || length > left) {
            throw new PickleException(opcodeName(opcode) + " declares " + Long.toUnsignedString(length) + " bytes, but only " + left
                    + " remain in the pickle");
        }
        source.reset();
    }

    private void checkDigits() throws IOException {
        source.mark(0);
        String line = PickleUtils.readline(source);
        // The line may carry a sign and Python 2's trailing L besides the digits.
        if (line.length() > MAX_INT_DIGITS + 2) {
            throw new PickleException("LONG spells an int in " + line.length() + " characters; Python reads at most " + MAX_INT_DIGITS
                    + " digits");
        }
        source.reset();
    }

    private static String opcodeName(short opcode) {
        return switch (opcode) {
            case Opcodes.SHORT_BINBYTES -> "SHORT_BINBYTES";
            case Opcodes.SHORT_BINUNICODE -> "SHORT_BINUNICODE";
            case Opcodes.SHORT_BINSTRING -> "SHORT_BINSTRING";
            case Opcodes.LONG1 -> "LONG1";
            case Opcodes.BINBYTES -> "BINBYTES";
            case Opcodes.BINUNICODE -> "BINUNICODE";
            case Opcodes.BINSTRING -> "BINSTRING";
            case Opcodes.LONG4 -> "LONG4";
            case Opcodes.BINBYTES8 -> "BINBYTES8";
            case Opcodes.BINUNICODE8 -> "BINUNICODE8";
            case Opcodes.BYTEARRAY8 -> "BYTEARRAY8";
            case Opcodes.FRAME -> "FRAME";
            default -> "opcode " + opcode;
        };
    }

    /**
     * Records that {@code container} now holds {@code elements}, refusing nesting deeper than
     * {@link #MAX_DEPTH} as soon as it is built (before anything could walk it recursively).
     */
    private void nest(Object container, List<?> elements) {
        int deepest = 0;
        for (Object e : elements) {
            deepest = Math.max(deepest, depth(e));
        }
        if (deepest == 0) {
            return;
        }
        int depth = Math.max(depth(container), deepest + 1);
        if (depth > MAX_DEPTH) {
            throw new PickleException("containers nest more than " + MAX_DEPTH + " deep (a state dict nests a few)");
        }
        depths.put(container, depth);
    }

    private int depth(Object o) {
        if (o instanceof Object[] || o instanceof List<?> || o instanceof Map<?, ?> || o instanceof Set<?>) {
            return depths.getOrDefault(o, 1);
        }
        return 0;
    }

    /** The elements of a tuple or list just built. */
    private static List<?> elements(Object built) {
        return built instanceof Object[] tuple ? Arrays.asList(tuple) : built instanceof List<?> list ? list : List.of();
    }

    private Map<Object, Object> dictOnTop(String opcode) {
        if (!(stack.peek() instanceof Map<?, ?>)) {
            throw new PickleException(opcode + " without a dict");
        }
        @SuppressWarnings("unchecked")
        Map<Object, Object> dict = (Map<Object, Object>) stack.peek();
        return dict;
    }

    private static void putAll(Map<Object, Object> dict, List<Object> flat) {
        if (flat.size() % 2 != 0) {
            throw new PickleException("an odd number of dict items");
        }
        for (int i = 0; i < flat.size(); i += 2) {
            dict.put(hashable(flat.get(i)), flat.get(i + 1));
        }
    }

    /**
     * A dict key or set member, which must be a str or an int of at most 64 bits: their hashes take
     * time linear in their size, where a list or tuple nested a million deep would be hashed recursively.
     */
    private static Object hashable(Object o) {
        if (o instanceof String || o instanceof Integer || o instanceof Long) {
            return o;
        }
        throw new PickleException("a dict key or set member of type " + pythonType(o) + " (only str and int are read)");
    }

    /** The Python type a Pyrolite value stands for, for messages. */
    static String pythonType(Object o) {
        return switch (o) {
            case null -> "None";
            case String _ -> "str";
            case Integer _, Long _, BigInteger _ -> "int";
            case Double _ -> "float";
            case Boolean _ -> "bool";
            case byte[] _ -> "bytes";
            case Object[] _ -> "tuple";
            case List<?> _ -> "list";
            case Map<?, ?> _ -> "dict";
            case Set<?> _ -> "set";
            default -> o.getClass().getSimpleName();
        };
    }
}
