package ai.aim4j.model.nn;

/**
 * What a declared tensor is. The kind decides whether training updates it, whether a checkpoint may
 * leave it out, and how each checkpoint convention names and lays it out (see
 * {@link ai.aim4j.model.naming}).
 */
public enum Kind {
    /** A linear layer's {@code (out, in)} matrix. */
    LINEAR_WEIGHT(true, false),
    /** A patch convolution's {@code (out, channels, kh, kw)} kernel. */
    CONV_WEIGHT(true, false),
    /** An additive bias of a linear or convolution. */
    BIAS(true, false),
    /** A LayerNorm's scale. */
    NORM_SCALE(true, false),
    /** A LayerNorm's shift. */
    NORM_SHIFT(true, false),
    /** Learned query tokens (the attention-pooling probe's {@code cls_token}). */
    QUERY(true, false),
    /** A fixed sin-cos position table: computed from the geometry, stored only by some conventions. */
    POSITION_TABLE(false, true),
    /** BatchNorm's running mean. */
    RUNNING_MEAN(false, false),
    /** BatchNorm's running variance. */
    RUNNING_VAR(false, false),
    /** PyTorch's BatchNorm batch counter (an int64 scalar; Flax has none). */
    BATCH_COUNT(false, true);

    private final boolean trainable;
    private final boolean optional;

    Kind(boolean trainable, boolean optional) {
        this.trainable = trainable;
        this.optional = optional;
    }

    /** Whether gradient descent updates tensors of this kind (the others are buffers). */
    public boolean trainable() {
        return trainable;
    }

    /** Whether a checkpoint may leave the tensor out (its initial value is used then). */
    public boolean optional() {
        return optional;
    }
}
