package ai.aim4j.model.nn;

import java.util.function.Supplier;

/** How a declared tensor starts: the official initialization of AIM, per tensor. */
public sealed interface Init {
    /** Zeros: biases, shifts, BatchNorm means and counters, the raw-pixel baseline's weights. */
    Init ZEROS = new Constant(0);
    /** Ones: LayerNorm scales, BatchNorm variances. */
    Init ONES = new Constant(1);
    /** Xavier-uniform over the {@code (out, in...)} view, as MAE and AIM initialize linears and the patch conv. */
    Init XAVIER_UNIFORM = new XavierUniform();

    /** Every element {@code value}. */
    record Constant(double value) implements Init {}

    /** Uniform in {@code +-sqrt(6 / (fan_in + fan_out))}, {@code fan_out = shape[0]}, {@code fan_in} the rest. */
    record XavierUniform() implements Init {}

    /** Normal with mean 0 and standard deviation {@code std} (the probe's query: 0.02). */
    record Normal(double std) implements Init {}

    /** Values computed from the geometry, in C order (the sin-cos position tables). */
    record Table(Supplier<double[]> values) implements Init {}
}
