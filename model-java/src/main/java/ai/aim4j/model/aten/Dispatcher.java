package ai.aim4j.model.aten;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * Boxed calls of ATen operators through libtorch's stable C ABI,
 * {@code aoti_torch_call_dispatcher(const char* op, const char* overload, StableIValue* stack)}: the
 * full dispatcher runs, autograd included, exactly as for an operator PyTorch calls.
 *
 * <p>The stack holds one {@code StableIValue} ({@code uint64_t}) per schema argument, every argument
 * present (defaults are not filled in), and receives the results from slot 0 on. libtorch 2.7.1
 * converts only these schema types, with these encodings (its {@code shim_common.cpp} and
 * {@code torch/csrc/stable/library.h}):
 * <ul>
 *   <li>{@code Tensor}: an {@code AtenTensorHandle}, a heap {@code at::Tensor*}. Every input handle is
 *       stolen: the dispatcher wraps it in a RAII holder that deletes it once converted, so each
 *       tensor argument gets a fresh handle from {@code aoti_torch_new_tensor_handle} (a new
 *       reference to the same tensor, autograd history included). A result handle is a new
 *       {@code at::Tensor*} the caller owns; DJL's {@code PtNDArray} deletes the same kind of object
 *       when closed, so the handle is given to one.</li>
 *   <li>{@code int}: the {@code int64_t}; {@code float}: the bits of the {@code double};
 *       {@code bool}: 0 or 1; {@code ScalarType}: the {@code c10::ScalarType} code, which is what
 *       {@code aoti_torch_dtype_*()} returns.</li>
 *   <li>{@code T?}: None is 0; a value is a pointer to a heap {@code StableIValue} holding the
 *       value's own encoding, which the dispatcher frees with {@code delete}; it is therefore
 *       allocated with the C++ runtime's {@code operator new} of the same process.</li>
 * </ul>
 * Lists ({@code Tensor[]}, {@code int[]}), {@code Scalar} and {@code str} arguments are refused by
 * 2.7.1 ("Not yet supported conversion"). A failing operator returns a non-zero code and libtorch
 * logs its message to standard error; arguments are all converted (and their handles freed) before
 * the operator runs, so a failing operator leaks nothing. Arguments pushed for a call that never
 * starts (a later argument was refused) are freed when the stack closes.
 */
final class Dispatcher {
    private static final MethodHandle CALL = Libtorch.function("aoti_torch_call_dispatcher",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle NEW_HANDLE = Libtorch.function("aoti_torch_new_tensor_handle",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.critical(false));
    private static final MethodHandle OPERATOR_NEW = Libtorch.function("_Znwm",
            FunctionDescriptor.of(ADDRESS, JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle OPERATOR_DELETE = Libtorch.function("_ZdlPv",
            FunctionDescriptor.ofVoid(ADDRESS), Linker.Option.critical(false));
    private static final MethodHandle DELETE_HANDLE = Libtorch.function("aoti_torch_delete_tensor_object",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG), Linker.Option.critical(false));
    private static final MethodHandle GET_DTYPE = Libtorch.function("aoti_torch_get_dtype",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.critical(true));
    private static final int SLOT = 8;

    private Dispatcher() {}

    /** The floating type libtorch holds {@code t} in (DJL calls bfloat16 "unknown"); DJL's answer for other types. */
    static DataType dataType(NDArray t) {
        DataType djl = t.getDataType();
        if (djl != DataType.UNKNOWN) {
            return djl;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment code = arena.allocate(JAVA_INT);
            int rc = (int) GET_DTYPE.invokeExact(((PtNDArray) t).getHandle().longValue(), code);
            if (rc != 0) {
                throw new IllegalStateException("aoti_torch_get_dtype failed");
            }
            return ScalarTypes.type(code.get(JAVA_INT, 0));
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("aoti_torch_get_dtype", e);
        }
    }

    /** An operator overload, its names kept as C strings for the life of the process. */
    record Op(String name, String overload, MemorySegment cName, MemorySegment cOverload) {
        static Op of(String name, String overload) {
            return new Op(name, overload, Arena.global().allocateFrom(name), Arena.global().allocateFrom(overload));
        }

        @Override
        public String toString() {
            return overload.isEmpty() ? name : name + "." + overload;
        }
    }

    /** The arguments of one call, pushed in schema order. */
    static final class Stack implements AutoCloseable {
        private final Arena arena = Arena.ofConfined();
        private final MemorySegment slots;
        private int size;
        /** Tensor handles and heap cells pushed and not yet handed to the dispatcher, which frees them once it has them. */
        private final long[] handles;
        private final long[] cells;
        private int ownedHandles;
        private int ownedCells;

        Stack(int capacity) {
            slots = arena.allocate(JAVA_LONG, capacity);
            handles = new long[capacity];
            cells = new long[capacity];
        }

        private Stack push(long value) {
            slots.setAtIndex(JAVA_LONG, size++, value);
            return this;
        }

        Stack tensor(NDArray t) {
            return push(newHandle(t));
        }

        /** A {@code Tensor?}: None when {@code t} is null. */
        Stack optionalTensor(NDArray t) {
            return t == null ? none() : push(boxed(newHandle(t)));
        }

        /** None, for any optional argument. */
        Stack none() {
            return push(0);
        }

        Stack integer(long value) {
            return push(value);
        }

        Stack real(double value) {
            return push(Double.doubleToRawLongBits(value));
        }

        Stack optionalReal(double value) {
            return push(boxed(Double.doubleToRawLongBits(value)));
        }

        Stack bool(boolean value) {
            return push(value ? 1 : 0);
        }

        Stack scalarType(DataType type) {
            return push(ScalarTypes.code(type));
        }

        /**
         * Runs {@code op} on the pushed arguments; its single {@code Tensor} result belongs to
         * {@code manager}.
         */
        PtNDArray call(Op op, NDManager manager) {
            ownedHandles = 0;
            ownedCells = 0;
            int rc;
            try {
                rc = (int) CALL.invokeExact(op.cName(), op.cOverload(), slots);
            } catch (Throwable e) {
                throw new IllegalStateException("calling " + op, e);
            }
            if (rc != 0) {
                throw new IllegalStateException("aten " + op + " failed (libtorch's message is on standard error)");
            }
            return new PtNDArray((PtNDManager) manager, slots.getAtIndex(JAVA_LONG, 0));
        }

        private long boxed(long value) {
            MemorySegment cell;
            try {
                cell = ((MemorySegment) OPERATOR_NEW.invokeExact((long) SLOT)).reinterpret(SLOT);
            } catch (Throwable e) {
                throw new IllegalStateException("operator new", e);
            }
            cell.set(JAVA_LONG, 0, value);
            cells[ownedCells++] = cell.address();
            return cell.address();
        }

        private long newHandle(NDArray t) {
            MemorySegment out = arena.allocate(JAVA_LONG);
            int rc;
            try {
                rc = (int) NEW_HANDLE.invokeExact(((PtNDArray) t).getHandle().longValue(), out);
            } catch (Throwable e) {
                throw new IllegalStateException("aoti_torch_new_tensor_handle", e);
            }
            if (rc != 0) {
                throw new IllegalStateException("aoti_torch_new_tensor_handle failed");
            }
            handles[ownedHandles++] = out.get(JAVA_LONG, 0);
            return out.get(JAVA_LONG, 0);
        }

        @Override
        public void close() {
            try {
                for (int i = 0; i < ownedHandles; i++) {
                    if ((int) DELETE_HANDLE.invokeExact(handles[i]) != 0) {
                        throw new IllegalStateException("aoti_torch_delete_tensor_object failed");
                    }
                }
                for (int i = 0; i < ownedCells; i++) {
                    OPERATOR_DELETE.invokeExact(MemorySegment.ofAddress(cells[i]));
                }
            } catch (Throwable e) {
                throw new IllegalStateException("freeing the arguments of a call that did not start", e);
            } finally {
                arena.close();
            }
        }
    }

    /** {@code c10::ScalarType} codes, as libtorch's own {@code aoti_torch_dtype_*()} functions report them. */
    private static final class ScalarTypes {
        private static final int FLOAT32 = code("aoti_torch_dtype_float32");
        private static final int FLOAT64 = code("aoti_torch_dtype_float64");
        private static final int FLOAT16 = code("aoti_torch_dtype_float16");
        private static final int BFLOAT16 = code("aoti_torch_dtype_bfloat16");

        static int code(DataType type) {
            return switch (type) {
                case FLOAT32 -> FLOAT32;
                case FLOAT64 -> FLOAT64;
                case FLOAT16 -> FLOAT16;
                case BFLOAT16 -> BFLOAT16;
                default -> throw new IllegalArgumentException("no ATen scalar type for " + type + " (floating types only)");
            };
        }

        /** The floating type of a code; UNKNOWN for any other. */
        static DataType type(int code) {
            return code == BFLOAT16 ? DataType.BFLOAT16 : code == FLOAT32 ? DataType.FLOAT32 : code == FLOAT64 ? DataType.FLOAT64
                    : code == FLOAT16 ? DataType.FLOAT16 : DataType.UNKNOWN;
        }

        private static int code(String function) {
            try {
                return (int) Libtorch.function(function, FunctionDescriptor.of(JAVA_INT)).invokeExact();
            } catch (Throwable e) {
                throw new IllegalStateException(function, e);
            }
        }
    }
}
