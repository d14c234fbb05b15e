"""Model configurations read from the JSON the Java side reads and writes.

The keys and defaults are those of ``AimConfig.fromJson`` and ``PretrainConfig.fromJson`` in
model-java (ml-aim's key names), so a fixture's ``config.json``, ``AimConfig.toJson()`` and
``PretrainConfig.toJson()`` all describe the same model here as in Java.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class AimConfig:
    """The AIM v1 trunk and its attention-pooling probe head (ml-aim's inference model)."""

    img_size: tuple[int, int]
    patch_size: tuple[int, int]
    num_channels: int
    embed_dim: int
    num_blocks: int
    num_heads: int
    mlp_ratio: int
    use_bias: bool
    layer_norm_eps: float
    probe_layers: tuple[int, ...]
    num_classes: int
    head_num_heads: int
    head_num_queries: int
    batch_norm_eps: float

    def __post_init__(self) -> None:
        _require(self.img_size[0] % self.patch_size[0] == 0 and self.img_size[1] % self.patch_size[1] == 0,
                 f"img_size {list(self.img_size)} is not a multiple of patch_size {list(self.patch_size)}")
        _require(min(self.num_channels, self.num_blocks, self.mlp_ratio, self.num_classes, self.head_num_queries) > 0,
                 "sizes must be positive")
        _require(self.num_heads > 0 and self.embed_dim % self.num_heads == 0,
                 f"embed_dim {self.embed_dim} is not divisible by num_heads {self.num_heads}")
        _require(self.head_num_heads > 0 and self.embed_dim % self.head_num_heads == 0,
                 f"embed_dim {self.embed_dim} is not divisible by the head's num_heads {self.head_num_heads}")
        _require(self.embed_dim % 4 == 0, f"embed_dim {self.embed_dim} must be a multiple of 4 for the 2-D sin-cos table")
        _require(len(self.probe_layers) > 0, "probe_layers is empty")
        _require(all(0 <= b < self.num_blocks for b in self.probe_layers),
                 f"probe_layers {list(self.probe_layers)} are not all among the {self.num_blocks} blocks")

    @property
    def grid_size(self) -> tuple[int, int]:
        """Patches per column and per row (gh, gw)."""
        return self.img_size[0] // self.patch_size[0], self.img_size[1] // self.patch_size[1]

    @property
    def num_patches(self) -> int:
        """Tokens per image, N."""
        return self.grid_size[0] * self.grid_size[1]

    @property
    def mlp_hidden_dim(self) -> int:
        """Hidden width of the trunk's MLP."""
        return self.embed_dim * self.mlp_ratio

    @property
    def patch_values(self) -> int:
        """Values per patch, C * ph * pw (the pixel decoder's output width)."""
        return self.num_channels * self.patch_size[0] * self.patch_size[1]


@dataclass(frozen=True)
class PretrainConfig:
    """ml-l3m's AIM v1 pre-training model: the trunk and the MLP-only pixel decoder."""

    trunk: AimConfig
    decoder_dim: int
    decoder_blocks: int
    decoder_mlp_ratio: int
    decoder_layer_norm_eps: float

    def __post_init__(self) -> None:
        _require(self.decoder_dim > 0 and self.decoder_dim % 4 == 0 and self.decoder_blocks >= 0 and self.decoder_mlp_ratio > 0,
                 f"invalid pixel decoder: width {self.decoder_dim} (a positive multiple of 4), "
                 f"{self.decoder_blocks} blocks, MLP ratio {self.decoder_mlp_ratio}")


def config_from_json(source: dict[str, Any] | str | Path) -> AimConfig | PretrainConfig:
    """The model a config describes: a ``PretrainConfig`` when it has a ``decoder``, else an ``AimConfig``.

    ``source`` is the parsed JSON or the path of a JSON file. Raises ``ValueError`` naming the problem.
    """
    if not isinstance(source, dict):
        try:
            source = json.loads(Path(source).read_text())
        except (OSError, ValueError) as e:
            raise ValueError(f"{source}: not a readable JSON config ({e})") from e
        if not isinstance(source, dict):
            raise ValueError("a config must be a JSON object")
    if "decoder" in source:
        # ml-l3m's recipe uses LayerNorm eps 1e-5 unless the config says otherwise (as PretrainConfig.fromJson).
        trunk = _aim_config({"layer_norm_eps": 1e-5, **source})
        d = source["decoder"]
        return PretrainConfig(trunk, int(d.get("embed_dim", 2048)), int(d.get("num_layers", 12)), int(d.get("mlp_ratio", 4)),
                              float(d.get("layer_norm_eps", trunk.layer_norm_eps)))
    return _aim_config(source)


def _aim_config(n: dict[str, Any]) -> AimConfig:
    if "preset" in n:
        raise ValueError("config names a preset; pass the full config (AimConfig.toJson() writes every key)")
    missing = [k for k in ("embed_dim", "num_blocks", "num_heads") if k not in n]
    if missing:
        raise ValueError(f"config needs {', '.join(missing)}")
    blocks = int(n["num_blocks"])
    heads = int(n["num_heads"])
    head = n.get("head") or {}
    return AimConfig(
        img_size=_pair(n.get("img_size", 224)),
        patch_size=_pair(n.get("patch_size", 14)),
        num_channels=int(n.get("num_channels", 3)),
        embed_dim=int(n["embed_dim"]),
        num_blocks=blocks,
        num_heads=heads,
        mlp_ratio=int(n.get("mlp_ratio", 4)),
        use_bias=bool(n.get("use_bias", False)),
        layer_norm_eps=float(n.get("layer_norm_eps", 1e-6)),
        probe_layers=tuple(int(b) for b in n.get("probe_layers", [blocks - 1])),
        num_classes=int(n.get("num_classes", 1000)),
        head_num_heads=int(head.get("num_heads", heads)),
        head_num_queries=int(head.get("num_queries", 1)),
        batch_norm_eps=float(n.get("batch_norm_eps", 1e-6)),
    )


def _pair(v: Any) -> tuple[int, int]:
    if isinstance(v, int):
        return v, v
    if isinstance(v, (list, tuple)) and len(v) == 2:
        return int(v[0]), int(v[1])
    raise ValueError(f"expected a size or a (height, width) pair, got {v!r}")


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(f"invalid AIM config: {message}")
