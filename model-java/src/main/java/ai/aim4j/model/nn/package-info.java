/**
 * Building blocks as {@code torch.nn} has them: {@link ai.aim4j.model.nn.Layer} (a node declaring
 * its {@link ai.aim4j.model.nn.Parameter}s), {@link ai.aim4j.model.nn.Model} (a tree bound to
 * memory), the strict state-dict check, the official initialization, and the generic layers
 * (linear, LayerNorm, MLP, multi-head attention, pre-norm block, patch embedding, sin-cos table).
 */
package ai.aim4j.model.nn;
