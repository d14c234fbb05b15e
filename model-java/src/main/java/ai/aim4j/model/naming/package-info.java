/**
 * Checkpoint conventions other than aim4j's own (ml-aim's PyTorch names): ml-aim's Flax tree and
 * ml-l3m's training state dict, as tables keyed by what each declared tensor is.
 */
package ai.aim4j.model.naming;
