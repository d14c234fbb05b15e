package ai.aim4j.model.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * In-place updates of long-lived tensors (parameters, gradients, optimizer moments) that leave
 * nothing behind. DJL's {@code muli(Number)} turns the number into a tensor owned by the target's
 * manager, which for a parameter lives as long as the model: one leaked scalar per call, per step.
 */
public final class InPlace {
    private InPlace() {}

    /** {@code a *= factor}, the factor a double scalar as torch's {@code mul_(float)} takes it. */
    public static void scale(NDArray a, double factor) {
        try (NDManager tmp = NDManager.newBaseManager(); NDArray f = tmp.create(factor)) {
            a.muli(f);
        }
    }

    /** Sets a parameter's gradient to exact zeros (even where it held NaN or infinity). */
    public static void zeroGradient(NDArray parameter) {
        JniUtils.zeroGrad((PtNDArray) parameter);
    }
}
