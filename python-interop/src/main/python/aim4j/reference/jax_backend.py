"""Runs the Flax models: the forward pass and one pre-training step with optax's AdamW.

float64 turns on ``jax_enable_x64`` (a process-wide switch); float32 runs stay float32 with it on,
because every input and parameter is cast explicitly.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from . import recipe
from .config import AimConfig, PretrainConfig
from .flax_models import AimModel, AimPretrainModel
from .weights import StateDict, check_shapes, flatten_tree, from_flax, to_flax


def forward(cfg: AimConfig, state: StateDict, source: str, images: np.ndarray, prefix_mask: np.ndarray | None,
            dtype: str) -> dict[str, np.ndarray]:
    """The forward fixtures' tensors, plus ``prefix/...`` trunk outputs when a prefix mask is given."""
    _enable(dtype)
    model = AimModel(cfg, with_head=any(k.startswith("head.") for k in state))
    x = jnp.asarray(images, dtype)
    # Bidirectional attention as an all-True mask: the same numbers (where(True, s, -inf) is s) from the
    # same compiled program as the prefix-causal run, which saves a compilation.
    everything = jnp.ones((x.shape[0], 1, cfg.num_patches, cfg.num_patches), bool)
    variables = _variables(model, to_flax(state), source, dtype, x, everything)
    run = _apply(model)
    out = _numpy(run(variables, x, everything))
    if prefix_mask is not None:
        prefixed = _numpy(run(variables, x, jnp.asarray(recipe.attention_allowed(prefix_mask))))
        out.update({f"prefix/{k}": v for k, v in prefixed.items() if k.startswith("features_block_") or k == "post_trunk_norm"})
    return out


def pretrain_step(cfg: PretrainConfig, state: StateDict, source: str, images: np.ndarray, prefix_mask: np.ndarray,
                  dtype: str, lr: float, clip: float | None, grads: StateDict | None) -> dict[str, np.ndarray]:
    """Forward, loss and gradients (``jax.value_and_grad``), then clipping and AdamW through optax."""
    _enable(dtype)
    x = jnp.asarray(images, dtype)
    mask = jnp.asarray(prefix_mask)
    allowed = jnp.asarray(recipe.attention_allowed(prefix_mask))
    params = _variables(AimPretrainModel(cfg), to_flax(state), source, dtype, x, mask, allowed)["params"]
    (_, out), grad_tree = _loss_and_grad(cfg)(params, x, mask, allowed)
    result = _numpy(out)
    # The optimizer works on a flat dict of trainable tensors under ml-l3m names, in PyTorch layout:
    # AdamW is element-wise and the global norm ignores layout, so the step is the same as on the tree.
    # On the host first: transposing device arrays back to PyTorch layout would compile each transpose.
    own = {n: g for n, g in from_flax({"params": jax.device_get(grad_tree)}).items() if not recipe.is_frozen(n)}
    weights = {n: np.asarray(v, dtype) for n, v in state.items() if n in own}
    step_grads = own if grads is None else {n: np.asarray(g, dtype) for n, g in recipe.gradients_for(own, grads).items()}
    stepped, norm, coef = _adamw_step(lr, clip)(weights, step_grads, own)
    result.update({f"grad/{n}": g for n, g in own.items()})
    result.update({"grad_norm": np.asarray(norm), "clip_coef": np.asarray(coef)})
    result.update({f"step/{n}": np.asarray(v) for n, v in stepped.items()})
    return result


# Compiled once per model and per optimizer setting: op by op, JAX would compile each of a few
# hundred small operations separately, and a new function object would compile again on every call.
@functools.lru_cache(maxsize=4)
def _apply(model: AimModel) -> Callable[..., Any]:
    def run(variables: Any, x: jax.Array, allowed: jax.Array) -> dict[str, jax.Array]:
        with jax.default_matmul_precision("highest"):
            return model.apply(variables, x, allowed)

    return jax.jit(run)


@functools.lru_cache(maxsize=4)
def _loss_and_grad(cfg: PretrainConfig) -> Callable[..., Any]:
    model = AimPretrainModel(cfg)

    def loss(p: Any, x: jax.Array, mask: jax.Array, allowed: jax.Array) -> tuple[jax.Array, dict[str, jax.Array]]:
        with jax.default_matmul_precision("highest"):
            out = model.apply({"params": p}, x, mask, allowed)
        return out["loss"], out

    return jax.jit(jax.value_and_grad(loss, has_aux=True))


@functools.lru_cache(maxsize=4)
def _adamw_step(lr: float, clip: float | None) -> Callable[..., Any]:
    """``(params, grads, measured) -> (stepped params, norm of measured, clip coefficient)``, one step from a fresh state."""
    tx = optax.adamw(lr, b1=recipe.BETAS[0], b2=recipe.BETAS[1], eps=recipe.EPS, weight_decay=recipe.WEIGHT_DECAY,
                     mask=lambda params: {n: recipe.is_decayed(n) for n in params})
    if clip:
        tx = optax.chain(clip_by_global_norm(clip), tx)

    @jax.jit
    def step(p: dict[str, jax.Array], g: dict[str, jax.Array], measured: dict[str, jax.Array]) -> tuple[Any, ...]:
        updates, _ = tx.update(g, tx.init(p), p)
        norm = optax.global_norm(measured)
        return optax.apply_updates(p, updates), norm, _coef(norm, clip)

    return step


def clip_by_global_norm(max_norm: float) -> optax.GradientTransformation:
    """The official clipping rule, ``g * min(1, max_norm / (norm + 1e-6))`` (torch's ``clip_grad_norm_``);
    ``optax.clip_by_global_norm`` scales by ``max_norm / norm`` without the 1e-6."""

    def update(updates: Any, state: optax.EmptyState, params: Any = None) -> tuple[Any, optax.EmptyState]:
        coef = _coef(optax.global_norm(updates), max_norm)
        return jax.tree.map(lambda g: g * coef.astype(g.dtype), updates), state

    return optax.GradientTransformation(lambda params: optax.EmptyState(), update)


def _coef(norm: jax.Array, clip: float | None) -> jax.Array:
    if not clip:
        return jnp.ones((), norm.dtype)
    return jnp.minimum(1.0, clip / (norm + recipe.CLIP_EPS))


def _enable(dtype: str) -> None:
    if dtype == "float64":
        jax.config.update("jax_enable_x64", True)


def _variables(model: Any, tree: dict[str, Any], source: str, dtype: str, *inputs: Any) -> dict[str, Any]:
    """The file's variables cast to ``dtype``, after checking them against the tree the model declares."""
    declared = jax.eval_shape(lambda: model.init(jax.random.key(0), *inputs))
    check_shapes(_shapes(declared), _shapes(tree), source)
    return jax.tree.map(lambda v: np.asarray(v, dtype), tree)


def _shapes(tree: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in flatten_tree(tree).items()}


def _numpy(tensors: dict[str, jax.Array]) -> dict[str, np.ndarray]:
    return {k: np.asarray(v) for k, v in tensors.items()}
