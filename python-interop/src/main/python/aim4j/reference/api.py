"""The entry points the JVM bridge calls: NumPy in, NumPy out, the backend chosen by name."""

from __future__ import annotations

from importlib import import_module
from types import ModuleType
from typing import Any

import numpy as np

from .config import AimConfig, PretrainConfig, config_from_json
from .weights import is_l3m, read_state_dict, to_ml_aim_names

BACKENDS = ("jax", "torch")
DTYPES = ("float32", "float64", "bfloat16")
# "bfloat16" is mixed precision: the float32 model run under torch.autocast (bf16 products), a PyTorch notion.
AUTOCAST = "bfloat16"


def forward(backend: str, config: dict[str, Any], weights_path: str, images: np.ndarray,
            prefix_mask: np.ndarray | None, dtype: str) -> dict[str, np.ndarray]:
    """AIM v1's forward pass with the inference model (ml-aim's).

    Returns ``patchifier_tokens``, ``pos_embed``, ``patch_tokens``, ``features_block_{i}`` for every
    block, ``post_trunk_norm``, ``averaged_probe_features`` and, when the weights hold the probe head,
    ``logits``; with a ``prefix_mask`` (B, N) bool (True = non-prefix token) also
    ``prefix/features_block_{i}`` and ``prefix/post_trunk_norm`` of the prefix-causal trunk.
    A pre-training config uses its trunk, and ml-l3m weights are read under ml-aim's names.
    """
    _check_choices(backend, dtype)
    cfg = _config(config)
    trunk = cfg.trunk if isinstance(cfg, PretrainConfig) else cfg
    state = read_state_dict(weights_path)
    if is_l3m(state):
        state = to_ml_aim_names(state)
    x, mask = _inputs(trunk, images, prefix_mask, dtype, mask_required=False)
    return _backend(backend).forward(trunk, state, str(weights_path), x, mask, dtype)


def pretrain_step(backend: str, config: dict[str, Any], weights_path: str, images: np.ndarray,
                  prefix_mask: np.ndarray, dtype: str, lr: float = 1e-3, clip: float | None = 1.0,
                  grads: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """One pre-training step of ml-l3m's model from the weights (ml-l3m names).

    Returns ``trunk_tokens``, ``head_preds``, ``targets_normalized``, ``per_position_loss``,
    ``target_mask``, ``loss``; ``grad/<name>`` for every trainable parameter; ``grad_norm`` and
    ``clip_coef`` (``min(1, clip / (norm + 1e-6))``, 1 when ``clip`` is None or 0) of those
    gradients; and ``step/<name>``, each trainable parameter after one AdamW step at ``lr`` (betas
    0.9/0.95, eps 1e-8, weight decay 0.05 except biases, norms and position tables) from a fresh state.

    ``dtype`` ``bfloat16`` (torch only) is the float32 model under ``torch.autocast("cpu", torch.bfloat16)``
    with attention by ``scaled_dot_product_attention``, the way mixed-precision training runs it.

    ``grads`` (ml-l3m names), when given, replaces the model's own gradients in the step only: a
    first AdamW step is about ``-lr * sign(g)``, so elements with ``|g|`` near eps follow rounding
    noise in ``g``, and an optimizer is compared with a reference from the same gradients.
    """
    _check_choices(backend, dtype)
    cfg = _config(config)
    if not isinstance(cfg, PretrainConfig):
        raise ValueError("pretrain_step needs a pre-training config (one with a decoder)")
    state = read_state_dict(weights_path)
    x, mask = _inputs(cfg.trunk, images, prefix_mask, dtype, mask_required=True)
    return _backend(backend).pretrain_step(cfg, state, str(weights_path), x, mask, dtype, float(lr),
                                           float(clip) if clip else None, grads)


def _check_choices(backend: str, dtype: str) -> None:
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
    if dtype == AUTOCAST and backend != "torch":
        raise ValueError(f"{AUTOCAST} runs the float32 model under torch.autocast: the torch backend's, not {backend}'s")


def _backend(backend: str) -> ModuleType:
    # Imported on use, after the inputs are read: each framework takes seconds to load, and a caller needs one.
    return import_module(f"{__package__}.{backend}_backend")


def _config(config: dict[str, Any]) -> AimConfig | PretrainConfig:
    return config if isinstance(config, (AimConfig, PretrainConfig)) else config_from_json(config)


def _inputs(cfg: AimConfig, images: np.ndarray, prefix_mask: np.ndarray | None, dtype: str,
            mask_required: bool) -> tuple[np.ndarray, np.ndarray | None]:
    images = np.asarray(images)
    want = (cfg.num_channels, *cfg.img_size)
    if images.ndim != 4 or images.shape[1:] != want or images.shape[0] == 0:
        raise ValueError(f"images have shape {list(images.shape)}, the config needs [B, {', '.join(map(str, want))}]")
    if prefix_mask is None:
        if mask_required:
            raise ValueError("a prefix mask (B, N) is required")
        return np.array(images, dtype=_array_type(dtype)), None
    mask = np.asarray(prefix_mask)
    if mask.shape != (images.shape[0], cfg.num_patches) or mask.dtype != np.bool_:
        raise ValueError(f"prefix_mask is {mask.dtype} {list(mask.shape)}, expected bool [{images.shape[0]}, {cfg.num_patches}]")
    return np.array(images, dtype=_array_type(dtype)), mask


def _array_type(dtype: str) -> str:
    """The inputs' NumPy type: mixed precision takes float32 inputs."""
    return "float32" if dtype == AUTOCAST else dtype
