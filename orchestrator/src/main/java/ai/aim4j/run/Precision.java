package ai.aim4j.run;

import ai.aim4j.model.nn.Autocast;
import ai.djl.ndarray.types.DataType;

/**
 * The arithmetic a run computes in ({@code --dtype}): plain float32, or bf16 mixed precision, PyTorch
 * autocast's policy ({@link Autocast}: bf16 matrix products, float32 attention, master weights,
 * optimizer state, norms of the residual stream and loss).
 */
public enum Precision {
    FP32("fp32", null),
    BF16("bf16", DataType.BFLOAT16);

    private final String label;
    private final DataType lower;

    Precision(String label, DataType lower) {
        this.label = label;
        this.lower = lower;
    }

    /**
     * The precision named {@code label} ({@code fp32}, {@code bf16}), as {@code --dtype} and a peer's JSON name it.
     *
     * @throws IllegalArgumentException naming the choices
     */
    public static Precision of(String label) {
        for (Precision p : values()) {
            if (p.label.equals(label)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown precision '" + label + "': choose fp32 or bf16");
    }

    /** The scope the forward passes of this precision run in (closing it ends it). */
    public Autocast scope() {
        return Autocast.to(lower);
    }

    @Override
    public String toString() {
        return label;
    }
}
