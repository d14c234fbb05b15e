"""AIM v1 in JAX/Flax (linen), with ml-aim's Flax parameter tree (``weights_flax.msgpack`` loads
straight into ``AimModel``) and, for ml-l3m's pre-training model, the same naming rules applied to
ml-l3m's names (``preprocessor/layers_0``, ``trunk/layers_{i}/attn/q_proj``, ``head/decoder_blocks_{j}``).

Every matmul and the conv run at ``Precision.HIGHEST``: on CPU the default precision may round the
operands to bfloat16, which is far outside the float32 tolerance.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import linen as nn

from .config import AimConfig, PretrainConfig
from .recipe import PIXEL_EPS
from .sincos import sincos_table

HIGHEST = jax.lax.Precision.HIGHEST


def _dense(features: int, bias: bool, name: str) -> nn.Dense:
    return nn.Dense(features, use_bias=bias, precision=HIGHEST, name=name)


def _norm(eps: float, name: str) -> nn.LayerNorm:
    # Two-pass variance, as torch computes it; the fast E[x^2] - E[x]^2 form loses digits.
    return nn.LayerNorm(epsilon=eps, use_fast_variance=False, name=name)


def _zeros(shape: tuple[int, ...]):
    # Shape declarations only: every parameter comes from a weights file.
    return lambda key: jnp.zeros(shape)


class Patchifier(nn.Module):
    """Conv patch embedding (kernel = stride = patch, NCHW images in) then LayerNorm."""

    cfg: AimConfig

    @nn.compact
    def __call__(self, images: jax.Array) -> jax.Array:
        c = self.cfg
        x = nn.Conv(c.embed_dim, c.patch_size, strides=c.patch_size, padding="VALID", precision=HIGHEST, name="proj")(
            jnp.transpose(images, (0, 2, 3, 1)))
        return _norm(c.layer_norm_eps, "norm")(x.reshape(x.shape[0], -1, c.embed_dim))


class Attention(nn.Module):
    """Multi-head softmax attention; q/k/v from one stacked ``qkv`` (ml-aim) or three ``*_proj`` (ml-l3m)."""

    dim: int
    heads: int
    bias: bool
    split: bool

    @nn.compact
    def __call__(self, x: jax.Array, allowed: jax.Array) -> jax.Array:
        b, n, d = x.shape
        hd = d // self.heads
        if self.split:
            q, k, v = (_dense(d, self.bias, f"{p}_proj")(x) for p in "qkv")
        else:
            q, k, v = jnp.split(_dense(3 * d, self.bias, "qkv")(x), 3, axis=-1)
        q, k, v = (t.reshape(b, n, self.heads, hd) for t in (q, k, v))
        scores = jnp.where(allowed, jnp.einsum("bqhd,bkhd->bhqk", q, k, precision=HIGHEST) * hd ** -0.5, -jnp.inf)
        out = jnp.einsum("bhqk,bkhd->bqhd", jax.nn.softmax(scores, axis=-1), v, precision=HIGHEST)
        return _dense(d, self.bias, "proj")(out.reshape(b, n, d))


class Mlp(nn.Module):
    """fc1, exact (erf) GELU, fc2."""

    dim: int
    hidden: int
    bias: bool

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return _dense(self.dim, self.bias, "fc2")(jax.nn.gelu(_dense(self.hidden, self.bias, "fc1")(x), approximate=False))


class Block(nn.Module):
    """Pre-norm block; without attention (ml-l3m's decoder) the first branch is ``norm_1(x)`` itself."""

    dim: int
    heads: int
    mlp_hidden: int
    eps: float
    bias: bool
    attention: str | None

    @nn.compact
    def __call__(self, x: jax.Array, allowed: jax.Array | None = None) -> jax.Array:
        h = _norm(self.eps, "norm_1")(x)
        if self.attention is not None:
            h = Attention(self.dim, self.heads, self.bias, self.attention == "split", name="attn")(h, allowed)
        x = x + h
        return x + Mlp(self.dim, self.mlp_hidden, self.bias, name="mlp")(_norm(self.eps, "norm_2")(x))


class Trunk(nn.Module):
    """The blocks (``layers_{i}``) and the post-trunk LayerNorm; returns every block's output and the normed last one."""

    cfg: AimConfig
    attention: str

    @nn.compact
    def __call__(self, x: jax.Array, allowed: jax.Array) -> tuple[list[jax.Array], jax.Array]:
        c = self.cfg
        features = []
        for i in range(c.num_blocks):
            x = Block(c.embed_dim, c.num_heads, c.mlp_hidden_dim, c.layer_norm_eps, c.use_bias, self.attention,
                      name=f"layers_{i}")(x, allowed)
            features.append(x)
        return features, _norm(c.layer_norm_eps, "post_trunk_norm")(x)


class AttentionPoolingHead(nn.Module):
    """ml-aim's probe head: BatchNorm without affine on the running statistics (ml-aim's own Flax head
    uses batch statistics, which does not reproduce the PyTorch eval logits; ``train`` normalizes with
    the batch's, as a probe trains, and moves the running ones by Flax's rule), keys and values of the
    tokens, the learned queries as queries, mean over the queries, linear."""

    cfg: AimConfig
    train: bool = False

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        c = self.cfg
        b, n, d = x.shape
        h, hd = c.head_num_heads, d // c.head_num_heads
        x = nn.BatchNorm(use_running_average=not self.train, use_bias=False, use_scale=False, epsilon=c.batch_norm_eps, name="bn")(x)
        q = self.param("cls_token", _zeros((1, c.head_num_queries, d))).astype(x.dtype)
        q = jnp.broadcast_to(q, (b,) + q.shape[1:]).reshape(b, -1, h, hd)
        k = _dense(d, False, "k")(x).reshape(b, n, h, hd)
        v = _dense(d, False, "v")(x).reshape(b, n, h, hd)
        attn = jax.nn.softmax(jnp.einsum("bqhd,bkhd->bhqk", q, k, precision=HIGHEST) * hd ** -0.5, axis=-1)
        pooled = jnp.einsum("bhqk,bkhd->bqhd", attn, v, precision=HIGHEST).reshape(b, -1, d).mean(1)
        return _dense(c.num_classes, False, "linear")(pooled)


class AimPreprocessor(nn.Module):
    """ml-aim's preprocessor: the patchifier; the sin-cos table is computed, not a parameter."""

    cfg: AimConfig

    @nn.compact
    def __call__(self, images: jax.Array) -> tuple[jax.Array, jax.Array]:
        tokens = Patchifier(self.cfg, name="patchifier")(images)
        return tokens, jnp.asarray(sincos_table(*self.cfg.grid_size, self.cfg.embed_dim), tokens.dtype)


class AimModel(nn.Module):
    """ml-aim's AIM v1 for inference; the head only when ``with_head``."""

    cfg: AimConfig
    with_head: bool

    @nn.compact
    def __call__(self, images: jax.Array, allowed: jax.Array) -> dict[str, jax.Array]:
        """The intermediate tensors of the forward fixtures; ``allowed`` (B, 1, N, N) says which keys each
        query may attend (all True for bidirectional attention)."""
        tokens, pos = AimPreprocessor(self.cfg, name="preprocessor")(images)
        out = {"patchifier_tokens": tokens, "pos_embed": pos, "patch_tokens": tokens + pos}
        features, normed = Trunk(self.cfg, "fused", name="trunk")(out["patch_tokens"], allowed)
        out.update({f"features_block_{i}": f for i, f in enumerate(features)})
        out["post_trunk_norm"] = normed
        probe = jnp.stack([features[i] for i in self.cfg.probe_layers]).mean(0)
        out["averaged_probe_features"] = probe
        if self.with_head:
            out["logits"] = AttentionPoolingHead(self.cfg, name="head")(probe)
        return out


class L3mPreprocessorBlock(nn.Module):
    """ml-l3m's preprocessor entry: the stored sin-cos table (never trained) added to the patch tokens."""

    cfg: AimConfig

    @nn.compact
    def __call__(self, images: jax.Array) -> jax.Array:
        pos = self.param("pos_embed", _zeros((1, self.cfg.num_patches, self.cfg.embed_dim)))
        return Patchifier(self.cfg, name="patchifier")(images) + jax.lax.stop_gradient(pos)


class L3mPreprocessor(nn.Module):
    """ml-l3m wraps its one preprocessor in a list: ``preprocessor/layers_0``."""

    cfg: AimConfig

    @nn.compact
    def __call__(self, images: jax.Array) -> jax.Array:
        return L3mPreprocessorBlock(self.cfg, name="layers_0")(images)


class PixelDecoder(nn.Module):
    """ml-l3m's ``SimpleDecoder`` as the recipe builds it: projection, the decoder's own sin-cos table,
    MLP-only blocks, LayerNorm, and the prediction of each patch's pixels."""

    cfg: PretrainConfig

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        c, t = self.cfg, self.cfg.trunk
        pos = self.param("decoder_pos_embed", _zeros((1, t.num_patches, c.decoder_dim)))
        z = _dense(c.decoder_dim, True, "decoder_projection")(x) + jax.lax.stop_gradient(pos)
        for j in range(c.decoder_blocks):
            z = Block(c.decoder_dim, 1, c.decoder_dim * c.decoder_mlp_ratio, c.decoder_layer_norm_eps, False, None,
                      name=f"decoder_blocks_{j}")(z)
        return _dense(t.patch_values, True, "decoder_pred")(_norm(c.decoder_layer_norm_eps, "decoder_norm")(z))


class AimPretrainModel(nn.Module):
    """ml-l3m's AIM v1 pre-training model: trunk with split q/k/v, pixel decoder, raster pixel loss."""

    cfg: PretrainConfig

    @nn.compact
    def __call__(self, images: jax.Array, prefix_mask: jax.Array, allowed: jax.Array) -> dict[str, jax.Array]:
        x = L3mPreprocessor(self.cfg.trunk, name="preprocessor")(images)
        _, trunk_tokens = Trunk(self.cfg.trunk, "split", name="trunk")(x, allowed)
        preds = PixelDecoder(self.cfg, name="head")(trunk_tokens)
        return {"trunk_tokens": trunk_tokens, "head_preds": preds,
                **pixel_loss(images, preds, prefix_mask, self.cfg.trunk.patch_size)}


def pixel_loss(images: jax.Array, preds: jax.Array, prefix_mask: jax.Array, patch: tuple[int, int]) -> dict[str, jax.Array]:
    """ml-l3m's raster next-patch loss: per-patch normalized targets (channel fastest within a pixel,
    unbiased variance), prediction i against target i + 1, mean over a patch's values, averaged over
    the non-prefix targets of the whole batch."""
    b, c, h, w = images.shape
    ph, pw = patch
    t = images.reshape(b, c, h // ph, ph, w // pw, pw).transpose(0, 2, 4, 3, 5, 1).reshape(b, -1, ph * pw * c)
    t = (t - t.mean(-1, keepdims=True)) / jnp.sqrt(t.var(-1, keepdims=True, ddof=1) + PIXEL_EPS)
    per_position = ((preds[:, :-1] - t[:, 1:]) ** 2).mean(-1)
    target_mask = prefix_mask[:, 1:]
    weights = target_mask.astype(per_position.dtype)
    return {"targets_normalized": t, "per_position_loss": per_position, "target_mask": target_mask,
            "loss": (per_position * weights).sum() / weights.sum()}
