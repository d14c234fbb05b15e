/**
 * The optimizer, exactly as PyTorch computes it: AdamW, global-norm clipping, the recipe's
 * warmup + cosine schedule and its weight-decay groups.
 */
package ai.aim4j.model.optim;
