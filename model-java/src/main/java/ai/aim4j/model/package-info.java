/**
 * The AIM model, in eight files: {@link ai.aim4j.model.Preprocessor} (patch embedding and sin-cos
 * positions), {@link ai.aim4j.model.Trunk} (pre-norm blocks and the post-trunk norm),
 * {@link ai.aim4j.model.PrefixCausalMask} (prefix-causal attention and how prefixes are drawn),
 * {@link ai.aim4j.model.PixelHead}, {@link ai.aim4j.model.PixelLoss},
 * {@link ai.aim4j.model.AttentionPoolingProbe}, and the two assemblies over one trunk:
 * {@link ai.aim4j.model.Aim} (inference, with the probe) and {@link ai.aim4j.model.AimPretraining}
 * (the pixel head and loss). Every parameter is declared once, by the layer that owns it; the model
 * never reads files or datasets.
 */
package ai.aim4j.model;
