package ai.aim4j.model.aten;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * ATen operators over lists of tensors: {@code aten::_fused_adamw_}, torch's fused AdamW kernel
 * ({@code torch.optim.AdamW(fused=True)}, one pass over each parameter's memory instead of a dozen
 * element-wise operations), and {@code aten::_foreach_mul_.Tensor}.
 *
 * <p>Tensor lists cannot pass libtorch 2.7.1's stable dispatcher ABI (see {@link Dispatcher}), so
 * these are called through their typed C++ entry points, {@code at::_ops::<op>::call}, which run the
 * dispatcher like a boxed call. The mangled symbols spell out the whole signatures, so a libtorch
 * whose operator differs fails to resolve instead of being called wrongly. What the calls rely on:
 * an {@code at::Tensor} is one {@code TensorImpl*}, and DJL's handle is an {@code at::Tensor*} (so
 * a {@code const Tensor&} is the handle itself, and a list is an array of the {@code TensorImpl*}
 * read through the handles, borrowed for the call); a {@code TensorList} is
 * {@code {const Tensor*, size_t}} passed by value; an empty {@code std::optional<Tensor>} is 16 zero
 * bytes. A C++ exception cannot cross into Java, so every check the kernels would make is made here
 * first. Both run with gradient recording off, as {@code torch.optim} runs them under
 * {@code no_grad} (in-place updates of leaves that require gradients).
 */
final class TensorListOps {
    private static final StructLayout TENSOR_LIST = MemoryLayout.structLayout(ADDRESS.withName("data"), JAVA_LONG.withName("size"));
    private static final MethodHandle FUSED_ADAMW = Libtorch.function(
            "_ZN2at4_ops13_fused_adamw_4callEN3c108ArrayRefINS_6TensorEEES5_S5_S5_S5_S5_dddddbbRKSt8optionalIS4_ES9_",
            FunctionDescriptor.ofVoid(TENSOR_LIST, TENSOR_LIST, TENSOR_LIST, TENSOR_LIST, TENSOR_LIST, TENSOR_LIST,
                    JAVA_DOUBLE, JAVA_DOUBLE, JAVA_DOUBLE, JAVA_DOUBLE, JAVA_DOUBLE, JAVA_BOOLEAN, JAVA_BOOLEAN, ADDRESS, ADDRESS));
    private static final MethodHandle MUL = Libtorch.function("_ZN2at4_ops20_foreach_mul__Tensor4callEN3c108ArrayRefINS_6TensorEEERKS4_",
            FunctionDescriptor.ofVoid(TENSOR_LIST, JAVA_LONG));
    private static final MethodHandle GRAD_MODE = Libtorch.function("aoti_torch_grad_mode_is_enabled", FunctionDescriptor.of(JAVA_BOOLEAN));
    private static final MethodHandle DIM = Libtorch.function("aoti_torch_get_dim", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SIZES = Libtorch.function("aoti_torch_get_sizes", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle STRIDES = Libtorch.function("aoti_torch_get_strides", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle SET_GRAD_MODE = Libtorch.function("aoti_torch_grad_mode_set_enabled", FunctionDescriptor.ofVoid(JAVA_BOOLEAN));

    private TensorListOps() {}

    static void fusedAdamW(List<NDArray> params, List<NDArray> grads, List<NDArray> expAvgs, List<NDArray> expAvgSqs, NDArray step,
                           double lr, double beta1, double beta2, double weightDecay, double eps) {
        checkAdamW(params, grads, expAvgs, expAvgSqs, step);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment none = arena.allocate(16);
            MemorySegment steps = list(arena, Collections.nCopies(params.size(), step));
            // A block: invokeExact's result type is void only in a statement.
            withoutGradients(() -> {
                FUSED_ADAMW.invokeExact(list(arena, params), list(arena, grads), list(arena, expAvgs), list(arena, expAvgSqs),
                        list(arena, List.of()), steps, lr, beta1, beta2, weightDecay, eps, false, false, none, none);
            });
        }
    }

    /** {@code t *= factor} for each tensor, {@code factor} a scalar (0-dimensional) tensor. */
    static void mulInPlace(List<NDArray> tensors, NDArray factor) {
        if (!factor.getShape().isScalar()) {
            throw new IllegalArgumentException("the factor must be a scalar tensor, not " + factor.getShape());
        }
        for (NDArray t : tensors) {
            if (!t.getDataType().isFloating() || !t.getDevice().equals(factor.getDevice())) {
                throw new IllegalArgumentException("cannot scale a " + t.getDataType() + " tensor on " + t.getDevice() + " in place");
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            withoutGradients(() -> {
                MUL.invokeExact(list(arena, tensors), ((PtNDArray) factor).getHandle().longValue());
            });
        }
    }

    private interface NativeCall {
        void run() throws Throwable;
    }

    private static void withoutGradients(NativeCall call) {
        try {
            boolean gradMode = (boolean) GRAD_MODE.invokeExact();
            SET_GRAD_MODE.invokeExact(false);
            try {
                call.run();
            } finally {
                SET_GRAD_MODE.invokeExact(gradMode);
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("calling libtorch", e);
        }
    }

    /** A {@code TensorList} of borrowed {@code TensorImpl*}, read through each array's {@code at::Tensor*} handle. */
    private static MemorySegment list(Arena arena, List<NDArray> tensors) {
        MemorySegment impls = arena.allocate(JAVA_LONG, Math.max(1, tensors.size()));
        for (int i = 0; i < tensors.size(); i++) {
            long handle = ((PtNDArray) tensors.get(i)).getHandle();
            impls.setAtIndex(JAVA_LONG, i, MemorySegment.ofAddress(handle).reinterpret(8).get(JAVA_LONG, 0));
        }
        MemorySegment ref = arena.allocate(TENSOR_LIST);
        ref.set(ADDRESS, 0, impls);
        ref.set(JAVA_LONG, 8, tensors.size());
        return ref;
    }

    /** Row-major dense, from the sizes and strides libtorch reports (size-1 axes may have any stride). */
    private static boolean contiguous(NDArray t) {
        long handle = ((PtNDArray) t).getHandle();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dim = arena.allocate(JAVA_LONG);
            MemorySegment sizes = arena.allocate(ADDRESS);
            MemorySegment strides = arena.allocate(ADDRESS);
            if ((int) DIM.invokeExact(handle, dim) != 0 || (int) SIZES.invokeExact(handle, sizes) != 0
                    || (int) STRIDES.invokeExact(handle, strides) != 0) {
                throw new IllegalStateException("libtorch could not report a tensor's layout");
            }
            int d = (int) dim.get(JAVA_LONG, 0);
            MemorySegment size = sizes.get(ADDRESS, 0).reinterpret(8L * d);
            MemorySegment stride = strides.get(ADDRESS, 0).reinterpret(8L * d);
            long expected = 1;
            for (int i = d - 1; i >= 0; i--) {
                long n = size.getAtIndex(JAVA_LONG, i);
                if (n != 1 && stride.getAtIndex(JAVA_LONG, i) != expected) {
                    return false;
                }
                expected *= n;
            }
            return true;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("aoti_torch_get_strides", e);
        }
    }

    private static void checkAdamW(List<NDArray> params, List<NDArray> grads, List<NDArray> expAvgs, List<NDArray> expAvgSqs, NDArray step) {
        int n = params.size();
        if (grads.size() != n || expAvgs.size() != n || expAvgSqs.size() != n) {
            throw new IllegalArgumentException("fused AdamW needs one gradient and two moments per parameter");
        }
        if (!step.getShape().isScalar()) {
            throw new IllegalArgumentException("fused AdamW's step count must be a scalar tensor");
        }
        for (int i = 0; i < n; i++) {
            NDArray p = params.get(i);
            for (NDArray t : List.of(grads.get(i), expAvgs.get(i), expAvgSqs.get(i))) {
                if (t.getDataType() != p.getDataType() || !Arrays.equals(t.getShape().getShape(), p.getShape().getShape())
                        || !t.getDevice().equals(p.getDevice())) {
                    throw new IllegalArgumentException("fused AdamW: parameter " + i + " " + p.getShape() + " " + p.getDataType()
                            + " has a gradient or moment " + t.getShape() + " " + t.getDataType() + " unlike it");
                }
            }
            for (NDArray t : List.of(p, grads.get(i), expAvgs.get(i), expAvgSqs.get(i))) {
                if (!contiguous(t)) {
                    throw new IllegalArgumentException("fused AdamW: a tensor of parameter " + i + " " + p.getShape() + " is not contiguous");
                }
            }
            if (!p.getDataType().isFloating()) {
                throw new IllegalArgumentException("fused AdamW: parameter " + i + " is " + p.getDataType() + ", not floating point");
            }
        }
    }
}
