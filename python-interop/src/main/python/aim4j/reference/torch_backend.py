"""Runs the PyTorch models: the forward pass and one pre-training step with ``torch.optim.AdamW``."""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from . import recipe
from .config import AimConfig, PretrainConfig
from .torch_models import AimModel, AimPretrainModel, use_sdpa
from .weights import StateDict, check_shapes

_DTYPES = {"float32": torch.float32, "float64": torch.float64, "bfloat16": torch.float32}


def _precision(model: torch.nn.Module, dtype: str) -> contextlib.AbstractContextManager:
    """The scope a precision runs in: bf16 autocast (with fused attention, as mixed-precision training runs) or none."""
    if dtype != "bfloat16":
        return contextlib.nullcontext()
    use_sdpa(model)
    return torch.autocast("cpu", dtype=torch.bfloat16)


def forward(cfg: AimConfig, state: StateDict, source: str, images: np.ndarray, prefix_mask: np.ndarray | None,
            dtype: str) -> dict[str, np.ndarray]:
    """The forward fixtures' tensors, plus ``prefix/...`` trunk outputs when a prefix mask is given."""
    model = _load(AimModel(cfg, with_head=any(k.startswith("head.") for k in state)), state, source, dtype)
    x = torch.from_numpy(images).to(_DTYPES[dtype])
    with torch.no_grad(), _precision(model, dtype):
        out = _numpy(model(x, None))
        if prefix_mask is not None:
            allowed = torch.from_numpy(recipe.attention_allowed(prefix_mask))
            prefixed = model(x, allowed)
            out.update({f"prefix/{k}": v for k, v in _numpy(prefixed).items()
                        if k.startswith("features_block_") or k == "post_trunk_norm"})
    return out


def pretrain_step(cfg: PretrainConfig, state: StateDict, source: str, images: np.ndarray, prefix_mask: np.ndarray,
                  dtype: str, lr: float, clip: float | None, grads: StateDict | None) -> dict[str, np.ndarray]:
    """Forward, loss, backward, gradient norm and clipping (``clip_grad_norm_``'s rule), one AdamW step."""
    model = _load(AimPretrainModel(cfg), state, source, dtype)
    allowed = torch.from_numpy(recipe.attention_allowed(prefix_mask))
    with _precision(model, dtype):
        out = model(torch.from_numpy(images).to(_DTYPES[dtype]), torch.from_numpy(prefix_mask), allowed)
    out["loss"].backward()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    result = _numpy({k: v.detach() for k, v in out.items()})
    result.update({f"grad/{n}": p.grad.numpy().copy() for n, p in trainable.items()})
    norm = torch.nn.utils.get_total_norm([p.grad for p in trainable.values()])
    result["grad_norm"] = norm.numpy()
    result["clip_coef"] = _coef(norm, clip).numpy()
    if grads is not None:
        for n, g in recipe.gradients_for(trainable, grads).items():
            trainable[n].grad = torch.from_numpy(np.array(g)).to(trainable[n].dtype)
        norm = torch.nn.utils.get_total_norm([p.grad for p in trainable.values()])
    if clip:
        torch.nn.utils.clip_grads_with_norm_(list(trainable.values()), clip, norm)
    groups = [{"params": [p for n, p in trainable.items() if recipe.is_decayed(n)], "weight_decay": recipe.WEIGHT_DECAY},
              {"params": [p for n, p in trainable.items() if not recipe.is_decayed(n)], "weight_decay": 0.0}]
    torch.optim.AdamW(groups, lr=lr, betas=recipe.BETAS, eps=recipe.EPS).step()
    result.update({f"step/{n}": p.detach().numpy().copy() for n, p in trainable.items()})
    return result


def _coef(norm: torch.Tensor, clip: float | None) -> torch.Tensor:
    if not clip:
        return torch.ones((), dtype=norm.dtype)
    return torch.clamp(clip / (norm + recipe.CLIP_EPS), max=1.0)


def _load(model: torch.nn.Module, state: StateDict, source: str, dtype: str) -> torch.nn.Module:
    expected = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    check_shapes(expected, {k: tuple(np.shape(v)) for k, v in state.items()}, source)
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    return model.to(_DTYPES[dtype]).eval()


def _numpy(tensors: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    # Under autocast some outputs are bf16, which NumPy lacks: they travel as float32 (exactly).
    return {k: v.float().numpy().copy() if v.dtype == torch.bfloat16 else v.numpy().copy() for k, v in tensors.items()}
