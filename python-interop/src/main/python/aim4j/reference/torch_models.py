"""AIM v1 in PyTorch, with the module tree of the official checkpoints so that ``state_dict()`` names
are the safetensors names: ml-aim's inference model (``AimModel``) and ml-l3m's pre-training model
(``AimPretrainModel``)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .config import AimConfig, PretrainConfig
from .recipe import PIXEL_EPS
from .sincos import sincos_table


class Patchifier(nn.Module):
    """Conv patch embedding (kernel = stride = patch) then LayerNorm; tokens in row-major grid order."""

    def __init__(self, cfg: AimConfig) -> None:
        super().__init__()
        self.proj = nn.Conv2d(cfg.num_channels, cfg.embed_dim, cfg.patch_size, stride=cfg.patch_size)
        self.norm = nn.LayerNorm(cfg.embed_dim, eps=cfg.layer_norm_eps)

    def forward(self, images: Tensor) -> Tensor:
        return self.norm(self.proj(images).flatten(2).transpose(1, 2))


class Attention(nn.Module):
    """Multi-head softmax attention; q/k/v from one stacked ``qkv`` (ml-aim) or three ``*_proj`` (ml-l3m).

    The scores are computed as written unless ``sdpa`` is set (:func:`use_sdpa`): then PyTorch's fused
    ``scaled_dot_product_attention`` computes the same function, for speed, with another rounding.
    """

    def __init__(self, dim: int, heads: int, bias: bool, split: bool) -> None:
        super().__init__()
        self.heads = heads
        self.split = split
        self.sdpa = False
        if split:
            self.q_proj = nn.Linear(dim, dim, bias=bias)
            self.k_proj = nn.Linear(dim, dim, bias=bias)
            self.v_proj = nn.Linear(dim, dim, bias=bias)
        else:
            self.qkv = nn.Linear(dim, 3 * dim, bias=bias)
        self.proj = nn.Linear(dim, dim, bias=bias)

    def forward(self, x: Tensor, allowed: Tensor | None) -> Tensor:
        b, n, d = x.shape
        if self.split:
            q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        else:
            q, k, v = self.qkv(x).reshape(b, n, 3, d).unbind(2)
        q, k, v = (t.reshape(b, n, self.heads, d // self.heads).transpose(1, 2) for t in (q, k, v))
        if self.sdpa:
            out = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
            return self.proj(out.transpose(1, 2).reshape(b, n, d))
        scores = (q @ k.transpose(-2, -1)) * (d // self.heads) ** -0.5
        if allowed is not None:
            scores = scores.masked_fill(~allowed, float("-inf"))
        return self.proj((scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, d))


def use_sdpa(model: nn.Module) -> nn.Module:
    """Switches every attention of ``model``, the probe head's pooling too, to ``scaled_dot_product_attention``;
    returns ``model``."""
    for m in model.modules():
        if isinstance(m, (Attention, AttentionPoolingHead)):
            m.sdpa = True
    return model


class Mlp(nn.Module):
    """fc1, exact (erf) GELU, fc2."""

    def __init__(self, dim: int, hidden: int, bias: bool) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden, bias=bias)
        self.fc2 = nn.Linear(hidden, dim, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(nn.functional.gelu(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm block. Without attention (ml-l3m's decoder) the first branch is the identity of
    ``norm_1(x)``, so ``x + norm_1(x)``: the LayerNorm is still applied."""

    def __init__(self, dim: int, heads: int, mlp_hidden: int, eps: float, bias: bool, attention: str | None) -> None:
        super().__init__()
        self.norm_1 = nn.LayerNorm(dim, eps=eps)
        self.attn = None if attention is None else Attention(dim, heads, bias, split=attention == "split")
        self.norm_2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, mlp_hidden, bias)

    def forward(self, x: Tensor, allowed: Tensor | None = None) -> Tensor:
        h = self.norm_1(x)
        x = x + (h if self.attn is None else self.attn(h, allowed))
        return x + self.mlp(self.norm_2(x))


class Trunk(nn.Module):
    """The transformer blocks and the post-trunk LayerNorm."""

    def __init__(self, cfg: AimConfig, attention: str) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            Block(cfg.embed_dim, cfg.num_heads, cfg.mlp_hidden_dim, cfg.layer_norm_eps, cfg.use_bias, attention)
            for _ in range(cfg.num_blocks))
        self.post_trunk_norm = nn.LayerNorm(cfg.embed_dim, eps=cfg.layer_norm_eps)

    def forward(self, x: Tensor, allowed: Tensor | None) -> list[Tensor]:
        """Every block's output (before the post-trunk norm)."""
        features = []
        for block in self.blocks:
            x = block(x, allowed)
            features.append(x)
        return features


class AttentionPoolingHead(nn.Module):
    """ml-aim's probe head: BatchNorm without affine (running statistics), keys and values of the
    tokens, the learned queries themselves as queries, per-head softmax (PyTorch's fused
    ``scaled_dot_product_attention`` once :func:`use_sdpa` sets ``sdpa``), mean over the queries, linear."""

    def __init__(self, cfg: AimConfig) -> None:
        super().__init__()
        d = cfg.embed_dim
        self.heads = cfg.head_num_heads
        self.cls_token = nn.Parameter(torch.zeros(1, cfg.head_num_queries, d))
        self.k = nn.Linear(d, d, bias=False)
        self.v = nn.Linear(d, d, bias=False)
        self.linear = nn.Linear(d, cfg.num_classes, bias=False)
        self.bn = nn.BatchNorm1d(d, affine=False, eps=cfg.batch_norm_eps)
        self.sdpa = False

    def forward(self, x: Tensor) -> Tensor:
        b, n, d = x.shape
        hd = d // self.heads
        x = self.bn(x.transpose(1, 2)).transpose(1, 2)
        q = self.cls_token.expand(b, -1, -1).reshape(b, -1, self.heads, hd).transpose(1, 2)
        k = self.k(x).reshape(b, n, self.heads, hd).transpose(1, 2)
        v = self.v(x).reshape(b, n, self.heads, hd).transpose(1, 2)
        if self.sdpa:
            pooled = nn.functional.scaled_dot_product_attention(q, k, v)
        else:
            pooled = ((q @ k.transpose(-2, -1)) * hd ** -0.5).softmax(-1) @ v
        pooled = pooled.transpose(1, 2).reshape(b, -1, d).mean(1)
        return self.linear(pooled)


class AimPreprocessor(nn.Module):
    """ml-aim's preprocessor: the patchifier plus the sin-cos table, computed (not a state-dict entry)."""

    def __init__(self, cfg: AimConfig) -> None:
        super().__init__()
        self.patchifier = Patchifier(cfg)
        # Kept in float64 until the model is cast, so a float64 model gets the exact table.
        table = torch.from_numpy(sincos_table(*cfg.grid_size, cfg.embed_dim))
        self.register_buffer("pos_embed", table, persistent=False)


class AimModel(nn.Module):
    """ml-aim's AIM v1 for inference: preprocessor, trunk and (optionally) the probe head."""

    def __init__(self, cfg: AimConfig, with_head: bool) -> None:
        super().__init__()
        self.cfg = cfg
        self.preprocessor = AimPreprocessor(cfg)
        self.trunk = Trunk(cfg, attention="fused")
        self.head = AttentionPoolingHead(cfg) if with_head else None

    def forward(self, images: Tensor, allowed: Tensor | None) -> dict[str, Tensor]:
        """The intermediate tensors of the forward fixtures, bidirectional when ``allowed`` is None."""
        tokens = self.preprocessor.patchifier(images)
        pos = self.preprocessor.pos_embed
        out = {"patchifier_tokens": tokens, "pos_embed": pos, "patch_tokens": tokens + pos}
        features = self.trunk(out["patch_tokens"], allowed)
        out.update({f"features_block_{i}": f for i, f in enumerate(features)})
        out["post_trunk_norm"] = self.trunk.post_trunk_norm(features[-1])
        probe = torch.stack([features[i] for i in self.cfg.probe_layers]).mean(0)
        out["averaged_probe_features"] = probe
        if self.head is not None:
            out["logits"] = self.head(probe)
        return out


class L3mPreprocessorBlock(nn.Module):
    """ml-l3m's preprocessor entry: the sin-cos table as a frozen parameter, and the patchifier."""

    def __init__(self, cfg: AimConfig) -> None:
        super().__init__()
        self.pos_embed = nn.Parameter(torch.zeros(1, cfg.num_patches, cfg.embed_dim), requires_grad=False)
        self.patchifier = Patchifier(cfg)


class PixelDecoder(nn.Module):
    """ml-l3m's ``SimpleDecoder`` as the recipe builds it: projection, the decoder's own sin-cos table,
    MLP-only blocks, LayerNorm, and the prediction of each patch's pixels."""

    def __init__(self, cfg: PretrainConfig) -> None:
        super().__init__()
        e, t = cfg.decoder_dim, cfg.trunk
        self.decoder_pos_embed = nn.Parameter(torch.zeros(1, t.num_patches, e), requires_grad=False)
        self.decoder_projection = nn.Linear(t.embed_dim, e)
        self.decoder_blocks = nn.ModuleList(
            Block(e, 1, e * cfg.decoder_mlp_ratio, cfg.decoder_layer_norm_eps, bias=False, attention=None)
            for _ in range(cfg.decoder_blocks))
        self.decoder_norm = nn.LayerNorm(e, eps=cfg.decoder_layer_norm_eps)
        self.decoder_pred = nn.Linear(e, t.patch_values)

    def forward(self, x: Tensor) -> Tensor:
        z = self.decoder_projection(x) + self.decoder_pos_embed
        for block in self.decoder_blocks:
            z = block(z)
        return self.decoder_pred(self.decoder_norm(z))


class AimPretrainModel(nn.Module):
    """ml-l3m's AIM v1 pre-training model: trunk with split q/k/v, pixel decoder, raster pixel loss."""

    def __init__(self, cfg: PretrainConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.preprocessor = nn.Module()
        self.preprocessor.blocks = nn.ModuleList([L3mPreprocessorBlock(cfg.trunk)])
        self.trunk = Trunk(cfg.trunk, attention="split")
        self.head = PixelDecoder(cfg)

    def forward(self, images: Tensor, prefix_mask: Tensor, allowed: Tensor) -> dict[str, Tensor]:
        pre = self.preprocessor.blocks[0]
        features = self.trunk(pre.patchifier(images) + pre.pos_embed, allowed)
        trunk_tokens = self.trunk.post_trunk_norm(features[-1])
        preds = self.head(trunk_tokens)
        return {"trunk_tokens": trunk_tokens, "head_preds": preds,
                **pixel_loss(images, preds, prefix_mask, self.cfg.trunk.patch_size)}


def pixel_loss(images: Tensor, preds: Tensor, prefix_mask: Tensor, patch: tuple[int, int]) -> dict[str, Tensor]:
    """ml-l3m's raster next-patch loss: per-patch normalized targets (channel fastest within a pixel,
    unbiased variance), prediction i against target i + 1, mean over a patch's values, averaged over
    the non-prefix targets of the whole batch."""
    b, c, h, w = images.shape
    ph, pw = patch
    t = images.reshape(b, c, h // ph, ph, w // pw, pw).permute(0, 2, 4, 3, 5, 1).reshape(b, -1, ph * pw * c)
    t = (t - t.mean(-1, keepdim=True)) / (t.var(-1, keepdim=True, unbiased=True) + PIXEL_EPS) ** 0.5
    per_position = ((preds[:, :-1] - t[:, 1:]) ** 2).mean(-1)
    target_mask = prefix_mask[:, 1:]
    weights = target_mask.to(per_position.dtype)
    return {"targets_normalized": t, "per_position_loss": per_position, "target_mask": target_mask,
            "loss": (per_position * weights).sum() / weights.sum()}
