/**
 * Numerical parity against the official code's reference outputs: the forward pass in every
 * weights format and precision, the pre-training step, and the one tolerance policy.
 */
package ai.aim4j.parity;
