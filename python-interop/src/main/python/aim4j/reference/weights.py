"""Weights files as NumPy state dicts under PyTorch names, and the Flax layout of those names.

The files are those the Java side reads: ``.safetensors`` and ``.pth`` (PyTorch names, ml-aim's or
ml-l3m's as stored), Flax ``.msgpack`` and ``.npz`` (ml-aim's Flax layout, converted back to
PyTorch names), and a flat ``.npz`` of PyTorch names.

The Flax layout follows ml-aim's ``torch_weights_to_jax`` rules: ``blocks.{i}`` becomes
``layers_{i}``, a LayerNorm ``weight`` becomes ``scale``, a linear ``weight`` (out, in) becomes a
``kernel`` (in, out), a conv ``weight`` (D, C, ph, pw) a ``kernel`` (ph, pw, C, D), and BatchNorm
running statistics go to the ``batch_stats`` collection as ``mean`` / ``var``. Which rule applies
is told by the tensor's rank, because in AIM a rank-1 ``weight`` is always a LayerNorm's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

StateDict = dict[str, np.ndarray]

_L3M_PRE = "preprocessor.blocks.0."
_SPLIT_QKV = ("q_proj", "k_proj", "v_proj")
_BN_STATS = {"running_mean": "mean", "running_var": "var"}
_BN_COUNT = "num_batches_tracked"


def read_state_dict(path: str | Path) -> StateDict:
    """The tensors of a weights file under PyTorch names; ``ValueError`` naming the file when it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ValueError(f"{path}: no such weights file")
    try:
        if suffix == ".safetensors":
            from safetensors.numpy import load_file

            return {k: np.asarray(v) for k, v in load_file(str(path)).items()}
        if suffix in (".pth", ".pt"):
            import torch

            state = torch.load(str(path), map_location="cpu", weights_only=True)
            return {k: v.numpy() for k, v in state.items()}
        if suffix == ".msgpack":
            from flax import serialization

            return from_flax(serialization.msgpack_restore(path.read_bytes()))
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                flat = {k: z[k] for k in z.files}
            if any(k.startswith(("params/", "batch_stats/")) for k in flat):
                return from_flax(unflatten_tree(flat))
            return flat
    except ValueError:
        raise
    except Exception as e:  # every reader's own error type, reported as one line naming the file
        raise ValueError(f"{path}: not a readable {suffix[1:]} weights file ({type(e).__name__}: {e})") from e
    raise ValueError(f"{path}: unknown weights format (expected .safetensors, .pth, .msgpack or .npz)")


def to_flax(state: StateDict) -> dict[str, Any]:
    """PyTorch-named tensors as the Flax variable tree ``{"params": ..., "batch_stats": ...}``."""
    tree: dict[str, Any] = {"params": {}}
    for name, value in state.items():
        *modules, leaf = name.split(".")
        if leaf == _BN_COUNT:
            continue  # no Flax counterpart
        collection = "params"
        if leaf in _BN_STATS:
            collection, leaf = "batch_stats", _BN_STATS[leaf]
        elif leaf == "weight":
            leaf, value = _weight_to_flax(name, value)
        node = tree.setdefault(collection, {})
        for m in _flax_modules(modules):
            node = node.setdefault(m, {})
        node[leaf] = value
    return tree


def from_flax(tree: dict[str, Any]) -> StateDict:
    """A Flax variable tree back to PyTorch names and layouts.

    ml-aim's own converter pops the BatchNorm statistics only after un-flattening the names, so its
    files keep them as ``params/.../bn/running_{mean,var}`` with scalar placeholders in
    ``batch_stats``; such placeholders are ignored and the statistics in ``params`` used instead.
    ``num_batches_tracked`` (no Flax counterpart) comes back as 0, which eval mode never reads.
    """
    flat = flatten_tree(tree)
    state: StateDict = {}
    for path, value in flat.items():
        collection, *modules, leaf = path.split("/")
        if collection not in ("params", "batch_stats"):
            raise ValueError(f"Flax path {path} is outside the params and batch_stats collections")
        prefix = ".".join(_torch_modules(modules))
        if collection == "batch_stats":
            if np.ndim(value) == 0 and f"params/{'/'.join(modules)}/running_{leaf}" in flat:
                continue  # ml-aim converter placeholder; the real statistics sit in params
            leaf = {v: k for k, v in _BN_STATS.items()}.get(leaf, leaf)
        elif leaf == "scale":
            leaf = "weight"
        elif leaf == "kernel":
            leaf, value = "weight", _kernel_to_torch(path, value)
        if leaf == "running_mean":
            state[f"{prefix}.{_BN_COUNT}"] = np.zeros((), np.int64)
        state[f"{prefix}.{leaf}"] = np.asarray(value)
    return state


def is_l3m(state: StateDict) -> bool:
    """Whether a state dict uses ml-l3m's names (wrapped preprocessor, separate q/k/v projections)."""
    return any(k.startswith(_L3M_PRE) or ".attn.q_proj." in k for k in state)


def to_ml_aim_names(state: StateDict) -> StateDict:
    """ml-l3m names to ml-aim's: the preprocessor unwrapped, q/k/v stacked into ``qkv`` (rows in q, k, v
    order), the stored position table and the pixel decoder (``head.decoder_*``) dropped, since ml-aim's
    model computes the table and has no decoder."""
    out: StateDict = {}
    for name, value in state.items():
        if name.startswith("head.decoder_") or name.endswith("pos_embed"):
            continue
        if name.startswith(_L3M_PRE):
            name = "preprocessor." + name[len(_L3M_PRE):]
        m = re.fullmatch(r"(.+\.attn)\.q_proj\.(weight|bias)", name)
        if m:
            parts = [f"{m[1]}.{p}.{m[2]}" for p in _SPLIT_QKV]
            missing = [p for p in parts if p not in state]
            if missing:
                raise ValueError(f"{missing[0]} is missing (q, k and v come together)")
            out[f"{m[1]}.qkv.{m[2]}"] = np.concatenate([state[p] for p in parts])
        elif not re.search(r"\.attn\.[kv]_proj\.", name):
            out[name] = value
    return out


def _weight_to_flax(name: str, w: np.ndarray) -> tuple[str, np.ndarray]:
    if w.ndim == 1:
        return "scale", w
    if w.ndim == 2:
        return "kernel", w.T
    if w.ndim == 4:
        return "kernel", w.transpose(2, 3, 1, 0)
    raise ValueError(f"{name}: a weight of rank {w.ndim} has no Flax layout")


def _kernel_to_torch(path: str, k: np.ndarray) -> np.ndarray:
    if k.ndim == 2:
        return k.T
    if k.ndim == 4:
        return k.transpose(3, 2, 0, 1)
    raise ValueError(f"Flax kernel {path} has rank {k.ndim}; expected a dense (2) or conv (4) kernel")


def _flax_modules(modules: list[str]) -> list[str]:
    """``blocks.{i}`` -> ``layers_{i}`` (ml-aim's rule); other lists ``x.{i}`` -> ``x_{i}`` (Flax's own naming)."""
    out: list[str] = []
    for m in modules:
        if m.isdigit() and out:
            prev = out.pop()
            out.append(f"layers_{m}" if prev == "blocks" else f"{prev}_{m}")
        else:
            out.append(m)
    return out


def _torch_modules(modules: list[str]) -> list[str]:
    out: list[str] = []
    for m in modules:
        match = re.fullmatch(r"(layers|\w*blocks)_(\d+)", m)
        if match:
            out += ["blocks" if match[1] == "layers" else match[1], match[2]]
        else:
            out.append(m)
    return out


def flatten_tree(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested dict's leaves under their ``/``-joined paths."""
    flat: dict[str, Any] = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            flat.update(flatten_tree(v, f"{prefix}{k}/"))
        else:
            flat[f"{prefix}{k}"] = v
    return flat


def unflatten_tree(flat: dict[str, Any]) -> dict[str, Any]:
    """The nested dict of ``/``-joined paths (the inverse of ``flatten_tree``)."""
    tree: dict[str, Any] = {}
    for path, v in flat.items():
        *modules, leaf = path.split("/")
        node = tree
        for m in modules:
            node = node.setdefault(m, {})
        node[leaf] = v
    return tree


def check_shapes(expected: dict[str, tuple[int, ...]], got: dict[str, tuple[int, ...]], source: str) -> None:
    """Raises ``ValueError`` naming ``source`` and the first missing, unexpected or misshapen tensor."""
    missing = [k for k in expected if k not in got]
    if missing:
        raise ValueError(f"{source}: {missing[0]} is missing ({len(missing)} tensors of the model are not in the file)")
    unexpected = [k for k in got if k not in expected]
    if unexpected:
        raise ValueError(f"{source}: {unexpected[0]} is not a tensor of the model ({len(unexpected)} unexpected)")
    for k, shape in expected.items():
        if tuple(got[k]) != tuple(shape):
            raise ValueError(f"{source}: {k} has shape {list(got[k])}, the config needs {list(shape)}")
