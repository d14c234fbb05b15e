"""Apple's ml-aim package (``aim.v1``) as a live-parity reference, when it is importable.

ml-aim builds inference models only, so the outputs compared are those its API exposes: the
preprocessor's tokens, every block's features (plain and with a prefix-causal mask), the averaged
probe features and, on PyTorch, the logits. Four things in the official code would otherwise
make the comparison unfair (or measure the official code's
differences rather than aim4j's), and each run says which corrections it applied:

* its JAX weight converter (``torch_weights_to_jax``) leaves the probe BatchNorm's running
  statistics in ``params`` and sets ``batch_stats`` to scalars: they are moved to ``batch_stats``;
* its Flax probe head normalises with the batch's own statistics (``use_running_average=False``),
  so its logits are not eval-mode logits: they are not compared on JAX;
* its Flax MLP uses ``flax.linen.gelu``, whose default is the tanh approximation, where its
  PyTorch MLP (and the training recipe) use the exact GELU: the Flax model is built with the exact one;
* both backends build the sin-cos position table in float32 even in a float64 model (PyTorch's
  ``.float()``; JAX only under x64): float64 runs use the same formula evaluated in float64.
"""

from __future__ import annotations

import importlib.util
from typing import Any, Mapping

import numpy as np

Tensors = dict[str, np.ndarray]


def available() -> bool:
    """Whether ``aim.v1`` can be imported here."""
    return importlib.util.find_spec("aim") is not None and importlib.util.find_spec("aim.v1") is not None


def forward(backend: str, config: Mapping[str, Any], weights: str, images: np.ndarray, prefix_mask: np.ndarray | None,
            dtype: str) -> tuple[Tensors, list[str]]:
    """ml-aim's outputs under the parity fixtures' keys, and the corrections applied."""
    if not available():
        raise ImportError("ml-aim's package `aim.v1` is not importable in this Python: install it from "
                          "https://github.com/apple/ml-aim (pip install 'aim-v1 @ git+https://github.com/apple/ml-aim#subdirectory=aim-v1')")
    state = _state_dict(weights)
    if backend == "torch":
        return _torch_forward(config, state, images, prefix_mask, dtype)
    if backend == "jax":
        return _jax_forward(config, state, images, prefix_mask, dtype)
    raise ValueError(f"unknown backend {backend!r} (jax or torch)")


def _state_dict(weights: str) -> dict[str, np.ndarray]:
    """A PyTorch state dict (ml-aim's names) from a .safetensors or .pth file."""
    if weights.endswith(".safetensors"):
        from safetensors.numpy import load_file

        return load_file(weights)
    if weights.endswith(".pth"):
        import torch

        return {k: v.numpy() for k, v in torch.load(weights, map_location="cpu", weights_only=True).items()}
    raise ValueError(f"{weights}: the ml-aim reference reads PyTorch state dicts (.safetensors or .pth)")


def _builder_args(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "img_size": tuple(config["img_size"]),
        "patch_size": tuple(config["patch_size"]),
        "embed_dim": config["embed_dim"],
        "num_blocks": config["num_blocks"],
        "num_heads": config["num_heads"],
        "num_channels": config["num_channels"],
        "probe_layers": tuple(config["probe_layers"]),
        "num_classes": config.get("num_classes", 1000),
        "mlp_ratio": config.get("mlp_ratio", 4),
        "use_bias": config.get("use_bias", False),
    }


def _attention_mask(prefix_mask: np.ndarray) -> np.ndarray:
    """ml-aim's prefix-causal rule as a dense ``(B, 1, N, N)`` mask: ``j <= i`` or ``j`` in the prefix."""
    n = prefix_mask.shape[1]
    causal = np.tril(np.ones((n, n), dtype=bool))[None]
    return (causal | ~prefix_mask.astype(bool)[:, None, :])[:, None]


def _sincos_f64(h: int, w: int, dim: int) -> np.ndarray:
    """The 2-D sin-cos table of ml-aim's formula, in float64."""
    def one_axis(d: int, pos: np.ndarray) -> np.ndarray:
        omega = 1.0 / 10000 ** (np.arange(d // 2, dtype=np.float64) / (d / 2.0))
        out = pos.reshape(-1)[:, None] * omega[None, :]
        return np.concatenate([np.sin(out), np.cos(out)], axis=1)

    gw, gh = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64), indexing="xy")
    return np.concatenate([one_axis(dim // 2, gw), one_axis(dim // 2, gh)], axis=1)


def _torch_forward(config, state, images, prefix_mask, dtype) -> tuple[Tensors, list[str]]:
    import torch
    from aim.v1.torch import models

    notes: list[str] = []
    model = models.AIM(*models._aim(**_builder_args(config)))
    has_head = any(k.startswith("head.") for k in state)
    missing, unexpected = model.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()}, strict=False)
    if unexpected or (missing and has_head):
        raise ValueError(f"weights do not fit ml-aim's model: missing {sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]}")
    torch_dtype = torch.float64 if dtype == "float64" else torch.float32
    model = model.to(torch_dtype).eval()
    if dtype == "float64":
        gh, gw = (s // p for s, p in zip(config["img_size"], config["patch_size"]))
        table = torch.from_numpy(_sincos_f64(gh, gw, config["embed_dim"]))
        model.preprocessor.pos_embed.forward = lambda h, w, d: table
        notes.append("position table evaluated in float64 (ml-aim builds it in float32)")
    x = torch.from_numpy(np.asarray(images)).to(torch_dtype)
    out: Tensors = {}
    with torch.no_grad():
        out["patchifier_tokens"] = model.preprocessor.patchifier(x).numpy()
        out["patch_tokens"] = model.preprocessor(x).numpy()
        feats = model.extract_features(x)
        for i, f in enumerate(feats):
            out[f"features_block_{i}"] = f.numpy()
        out["post_trunk_norm"] = model.trunk.post_trunk_norm(feats[-1]).numpy()
        out["averaged_probe_features"] = model.trunk.post_transformer_layer(None, layer_features=feats).numpy()
        if has_head:
            out["logits"] = model(x).numpy()
        if prefix_mask is not None:
            pfeats = model.extract_features(x, mask=torch.from_numpy(_attention_mask(prefix_mask)))
            for i, f in enumerate(pfeats):
                out[f"prefix/features_block_{i}"] = f.numpy()
            out["prefix/post_trunk_norm"] = model.trunk.post_trunk_norm(pfeats[-1]).numpy()
    return out, notes


def _jax_forward(config, state, images, prefix_mask, dtype) -> tuple[Tensors, list[str]]:
    import jax
    import jax.numpy as jnp
    import torch
    from aim.v1 import utils
    from aim.v1.jax import models

    notes: list[str] = []
    f64 = dtype == "float64"
    with jax.enable_x64(f64), jax.default_matmul_precision("highest"):
        import functools

        from aim.v1.jax import layers
        from flax import linen

        def exact_gelu_mlp(**kwargs: Any) -> linen.Module:
            # Block hands its own act_layer (the approximate default) to the MLP: override it.
            return layers.MLP(**{**kwargs, "act_layer": functools.partial(linen.gelu, approximate=False)})

        model = models._aim(**_builder_args(config), ffn_target=exact_gelu_mlp)
        notes.append("MLP activation set to exact GELU (ml-aim's Flax MLP defaults to the tanh approximation; "
                     "its PyTorch MLP and the released weights use the exact one)")
        variables = utils.torch_weights_to_jax({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
        bn = variables["params"].get("head", {}).get("bn", {})
        if "running_mean" in bn:
            variables["batch_stats"] = {"head": {"bn": {"mean": bn.pop("running_mean"), "var": bn.pop("running_var")}}}
            bn.pop("num_batches_tracked", None)
            notes.append("probe BatchNorm running statistics moved from params to batch_stats (ml-aim's converter leaves them in params)")
        cast = jnp.float64 if f64 else jnp.float32
        variables = jax.tree_util.tree_map(lambda a: jnp.asarray(a, cast), variables)
        if f64:
            notes.append("position table evaluated in float64 (x64 enabled)")
        x = jnp.asarray(images, cast)

        def trunk(mdl, x, mask):
            tokens = mdl.preprocessor(x)
            averaged, feats = mdl.trunk(tokens, mask=mask)
            return tokens, averaged, feats

        tokens, averaged, feats = model.apply(variables, x, None, method=trunk)
        out: Tensors = {"patch_tokens": np.asarray(tokens), "averaged_probe_features": np.asarray(averaged)}
        for i, f in enumerate(feats):
            out[f"features_block_{i}"] = np.asarray(f)
        if prefix_mask is not None:
            _, _, pfeats = model.apply(variables, x, jnp.asarray(_attention_mask(prefix_mask)), method=trunk)
            for i, f in enumerate(pfeats):
                out[f"prefix/features_block_{i}"] = np.asarray(f)
    if any(k.startswith("head.") for k in state):
        notes.append("logits not compared: ml-aim's Flax probe head normalises with batch statistics (use_running_average=False)")
    return out, notes
