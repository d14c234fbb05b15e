/**
 * Pre-training: the loop with its typed settings, one optimizer step over micro-batches, checkpoints
 * (atomic, verified, resumable bit for bit) and the metrics log.
 */
package ai.aim4j.train;
