package ai.aim4j.model.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * In-place updates of long-lived tensors (parameters, gradients) that leave nothing behind: a DJL
 * operation with a number ({@code muli(Number)}, {@code subi(Number)}) makes a scalar tensor owned by
 * the target's manager, which for a parameter lives as long as the model, one leaked scalar per call
 * and step. (Scaling goes through {@code Aten.scaleInPlace}, one call for a list of tensors.)
 */
public final class InPlace {
    private InPlace() {}

    /** Sets a parameter's gradient to exact zeros (even where it held NaN or infinity). */
    public static void zeroGradient(NDArray parameter) {
        JniUtils.zeroGrad((PtNDArray) parameter);
    }
}
