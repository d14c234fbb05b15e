"""The Python peers of ``aim4j bench train``, ``aim4j bench forward`` and ``aim4j bench probe``: aim4j's
reference AIM (:mod:`aim4j.reference`) in PyTorch or in JAX, timed as aim4j times itself (whole steps
after untimed warm-up steps, on fixed random images and freshly drawn prefixes, or fixed random
features for a probe head), in each mode a user of that framework would reach for.

``python -m aim4j.bench_peers {train,forward,probe} --framework {torch,jax} --config FILE --batch B ...``
serves timing requests, one JSON object a line on stdin, each answered by one JSON line on stdout, so
that the benchmark can take turns between aim4j and every peer (a slow spell of a shared machine then
falls on all of them alike). The first line out, unasked, is the framework's version and the float32
and bfloat16 ``torch.mm`` rates with the side of the square product that measured them (PyTorch
only). ``{"op": "warm", "mode": M, "warmup": W, "warmup_s": S}`` builds mode M and runs at least W
untimed calls lasting at least S seconds, answered with the first call's seconds (compilation
included) or the error that stopped it; ``{"op": "time", "mode": M, "steps": N, "budget_s": S,
"least": L}`` answers with the seconds of each of up to N timed calls, fewer when S seconds have
passed after L of them, or the error that stopped them. The process ends when stdin does.

PyTorch modes: ``eager`` (the reference as written, explicit softmax attention), ``sdpa``
(``scaled_dot_product_attention``), ``compile`` (``torch.compile`` of the SDPA model) and
``autocast`` (the SDPA model under bfloat16 autocast). JAX modes: ``jit`` (float32) and ``jit-bf16``
(bfloat16 compute from float32 parameters). A training step is the pre-training model's loss,
backward, clipping of the global norm at 1.0 and AdamW with the recipe's decay groups (PyTorch's
fused CPU AdamW; optax's adamw). A probe step is the attention-pooling head's on cached features
(BatchNorm on the batch's statistics), cross-entropy, clipping at 3.0 and AdamW (0.9, 0.999) with
weight decay 0.05 on every parameter, as aim4j's probe trains; its ``sdpa`` mode pools with
``scaled_dot_product_attention``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .reference import recipe
from .reference.config import AimConfig, PretrainConfig, config_from_json

#: Each framework's modes; their precisions (bf16 for ``autocast`` and ``jit-bf16``) are the benchmark's to know.
MODES = {"torch": ("eager", "sdpa", "compile", "autocast"), "jax": ("jit", "jit-bf16")}
LR = 1e-3
CLIP = 1.0
#: The probe's clipping and the weight decay of ``aim4j bench probe``'s grid point.
PROBE_CLIP = 3.0
PROBE_WEIGHT_DECAY = 0.05
#: Prefix masks drawn up front and used in turn, as aim4j draws a new one every step.
MASKS = 8
#: Builds a mode: a call running step (or forward pass) number ``i``.
Builder = Callable[[str], Callable[[int], None]]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m aim4j.bench_peers", description=__doc__.split("\n\n")[0])
    p.add_argument("task", choices=("train", "forward", "probe"))
    p.add_argument("--framework", choices=tuple(MODES), required=True)
    p.add_argument("--config", required=True, help="model config JSON (a pre-training config for train)")
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    a = p.parse_args(argv)
    cfg = config_from_json(a.config)
    if a.task == "train" and not isinstance(cfg, PretrainConfig):
        p.error(f"{a.config}: train needs a pre-training config (one with a decoder)")
    _limit_threads(a.threads)
    header, build = (_torch if a.framework == "torch" else _jax)(a.task, cfg, a.batch, a.threads)
    _answer(header)
    _serve(a.framework, build, sys.stdin)


def _serve(framework: str, build: Builder, requests: Iterable[str]) -> None:
    """Answers every request line; a mode is built on its first warm-up and kept."""
    calls: dict[str, Callable[[int], None]] = {}
    done: dict[str, int] = {}
    for line in requests:
        r = json.loads(line)
        mode = r["mode"]
        if mode not in MODES[framework]:
            _answer({"error": f"unknown {framework} mode {mode!r}; expected one of {', '.join(MODES[framework])}"})
        elif r["op"] == "warm":
            try:
                calls[mode] = build(mode)
                first, done[mode] = _warm(calls[mode], r["warmup"], r["warmup_s"])
                _answer({"first_s": first})
            except Exception as e:  # noqa: BLE001 - a mode that cannot run here is reported, and the others still run
                _answer({"error": _first_line(e)})
        else:
            try:
                times = _timed(calls[mode], done[mode], r["steps"], r["budget_s"], r["least"])
            except Exception as e:  # noqa: BLE001 - this mode stops; the others and their earlier rounds stand
                _answer({"error": _first_line(e)})
                continue
            _answer({"times": times})
            done[mode] += len(times)


def _first_line(e: Exception) -> str:
    """The first line of an exception: torch.compile's errors go on for pages."""
    return traceback.format_exception_only(e)[-1].strip().splitlines()[0][:300]


def _answer(reply: dict[str, Any]) -> None:
    print(json.dumps(reply), flush=True)


def _warm(call: Callable[[int], None], warmup: int, warmup_s: float) -> tuple[float, int]:
    """Seconds of the first call (compilation included) and how many untimed calls ran: at least
    ``warmup``, for at least ``warmup_s`` seconds."""
    begin = start = time.perf_counter()
    call(0)
    first = time.perf_counter() - start
    done = 1
    while done < warmup or time.perf_counter() - begin < warmup_s:
        call(done)
        done += 1
    return first, done


def _timed(call: Callable[[int], None], first: int, steps: int, budget_s: float, least: int) -> list[float]:
    """Seconds of each of up to ``steps`` calls, numbered from ``first`` (the step number picks the prefix
    mask), ending early once ``budget_s`` seconds have passed and ``least`` (or ``steps``, if fewer) are done."""
    times: list[float] = []
    begin = time.perf_counter()
    while len(times) < steps and (len(times) < min(steps, least) or time.perf_counter() - begin < budget_s):
        start = time.perf_counter()
        call(first + len(times))
        times.append(time.perf_counter() - start)
    return times


def _limit_threads(threads: int) -> None:
    # Both frameworks size their pools by the CPUs this process may run on: fewer CPUs, fewer threads.
    cpus = _one_per_core(sorted(os.sched_getaffinity(0)))
    if threads < len(cpus):
        os.sched_setaffinity(0, cpus[:threads])


def _one_per_core(cpus: list[int], topology: str = "/sys/devices/system/cpu") -> list[int]:
    """``cpus`` with the first of each physical core ahead of its SMT siblings, so that the first N are
    N cores however the machine numbers its siblings (after all the cores, or next to each other)."""
    first: list[int] = []
    siblings: list[int] = []
    seen: set[tuple[str, str]] = set()
    for cpu in cpus:
        try:
            with open(f"{topology}/cpu{cpu}/topology/physical_package_id") as package, \
                    open(f"{topology}/cpu{cpu}/topology/core_id") as core:
                key = (package.read().strip(), core.read().strip())
        except OSError:
            key = ("cpu", str(cpu))  # no topology: every CPU its own core
        (siblings if key in seen else first).append(cpu)
        seen.add(key)
    return first + siblings


def _inputs(trunk: AimConfig, batch: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Random images and prefix masks (True = not in the prefix) with lengths uniform in [1, N-1]."""
    rng = np.random.default_rng(0)
    images = rng.standard_normal((batch, trunk.num_channels, *trunk.img_size), dtype=np.float32)
    n = trunk.num_patches
    masks = [np.arange(n)[None, :] >= rng.integers(1, n, size=(batch, 1)) for _ in range(MASKS)]
    return images, masks


def _features(trunk: AimConfig, batch: int) -> tuple[np.ndarray, np.ndarray]:
    """Random block features (B, N, D) and class labels, the input of a probe step."""
    rng = np.random.default_rng(0)
    return (rng.standard_normal((batch, trunk.num_patches, trunk.embed_dim), dtype=np.float32),
            rng.integers(0, trunk.num_classes, size=batch))


def _torch(task: str, cfg: AimConfig | PretrainConfig, batch: int, threads: int) -> tuple[dict[str, Any], Builder]:
    import torch

    from .reference.torch_models import AimModel, AimPretrainModel, AttentionPoolingHead, use_sdpa

    torch.set_num_threads(threads)
    trunk = cfg.trunk if isinstance(cfg, PretrainConfig) else cfg
    images, masks = _inputs(trunk, batch)
    x = torch.from_numpy(images)
    prefix = [torch.from_numpy(m) for m in masks]
    causal = torch.ones(trunk.num_patches, trunk.num_patches, dtype=torch.bool).tril()
    features, labels = (torch.from_numpy(a) for a in _features(trunk, batch))

    def build_probe(mode: str) -> Callable[[int], None]:
        head = AttentionPoolingHead(trunk).train()
        if mode != "eager":
            use_sdpa(head)
        run = torch.compile(head) if mode == "compile" else head
        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=mode == "autocast")
        opt = torch.optim.AdamW(head.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=PROBE_WEIGHT_DECAY, fused=True)

        def step(i: int) -> None:
            with autocast:
                loss = torch.nn.functional.cross_entropy(run(features).float(), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(head.parameters(), PROBE_CLIP)
            opt.step()
        return step

    def build(mode: str) -> Callable[[int], None]:
        torch.manual_seed(0)
        if task == "probe":
            return build_probe(mode)
        # .float(): the inference model keeps its sin-cos table in float64 until it is cast.
        model = AimPretrainModel(cfg) if task == "train" else AimModel(trunk, with_head=True).float().eval()
        if mode != "eager":
            use_sdpa(model)
        run = torch.compile(model) if mode == "compile" else model
        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=mode == "autocast")
        if task == "forward":
            def forward(i: int) -> None:
                with torch.no_grad(), autocast:
                    run(x, None)
            return forward
        trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
        groups = [{"params": [p for n, p in trainable.items() if recipe.is_decayed(n)], "weight_decay": recipe.WEIGHT_DECAY},
                  {"params": [p for n, p in trainable.items() if not recipe.is_decayed(n)], "weight_decay": 0.0}]
        opt = torch.optim.AdamW(groups, lr=LR, betas=recipe.BETAS, eps=recipe.EPS, fused=True)

        def step(i: int) -> None:
            mask = prefix[i % MASKS]
            with autocast:
                loss = run(x, mask, causal | ~mask[:, None, None, :])["loss"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable.values(), CLIP)
            opt.step()
        return step

    return {"version": torch.__version__, "matmul": {"fp32": _torch_mm(torch.float32), "bf16": _torch_mm(torch.bfloat16)}}, build


def _torch_mm(dtype: Any, size: int = 2048, iters: int = 5) -> dict[str, float]:
    """Median GFLOP/s of a (size, size) x (size, size) ``torch.mm`` in ``dtype``, and that size; 512 where a
    256 product is slow (bf16 without bf16 units runs at about 1 GFLOP/s, so 2048^3 would take 20 s a product)."""
    import torch

    if size > 512 and _torch_mm(dtype, 256, 1)["gflops"] < 20:
        size = 512
    a = torch.randn(size, size).to(dtype)
    b = torch.randn(size, size).to(dtype)
    _warm(lambda i: torch.mm(a, b), 2, 0.0)
    seconds = statistics.median(_timed(lambda i: torch.mm(a, b), 0, iters, math.inf, iters))
    return {"gflops": 2 * size ** 3 / seconds / 1e9, "size": size}


def _jax(task: str, cfg: AimConfig | PretrainConfig, batch: int, threads: int) -> tuple[dict[str, Any], Builder]:
    import jax
    import jax.numpy as jnp
    import optax
    from flax.traverse_util import flatten_dict, unflatten_dict

    from .reference.flax_models import AimModel, AimPretrainModel, AttentionPoolingHead
    from .reference.jax_backend import clip_by_global_norm

    trunk = cfg.trunk if isinstance(cfg, PretrainConfig) else cfg
    images, masks = _inputs(trunk, batch)
    x = jnp.asarray(images)
    prefix = [jnp.asarray(m) for m in masks]
    n = trunk.num_patches
    causal = jnp.tril(jnp.ones((n, n), bool))

    def cast(tree: Any, dtype: Any) -> Any:
        return jax.tree.map(lambda v: v.astype(dtype) if jnp.issubdtype(v.dtype, jnp.floating) else v, tree)

    def build_probe(compute: Any) -> Callable[[int], None]:
        features, labels = (jnp.asarray(a) for a in _features(trunk, batch))
        head = AttentionPoolingHead(trunk, train=True)
        variables = jax.jit(head.init)(jax.random.key(0), features)
        state = {"params": variables["params"], "stats": variables["batch_stats"]}
        tx = optax.chain(clip_by_global_norm(PROBE_CLIP), optax.adamw(LR, b1=0.9, b2=0.999, eps=1e-8, weight_decay=PROBE_WEIGHT_DECAY))
        state["opt"] = tx.init(state["params"])

        def loss(params: Any, stats: Any, x: jax.Array, y: jax.Array) -> tuple[jax.Array, Any]:
            logits, moved = head.apply({"params": cast(params, compute), "batch_stats": stats}, x.astype(compute), mutable=["batch_stats"])
            return optax.softmax_cross_entropy_with_integer_labels(logits.astype(jnp.float32), y).mean(), moved["batch_stats"]

        @jax.jit
        def update(params: Any, opt: Any, stats: Any, x: jax.Array, y: jax.Array) -> tuple[Any, Any, Any]:
            grads, stats = jax.grad(loss, has_aux=True)(params, stats, x, y)
            updates, opt = tx.update(grads, opt, params)
            return optax.apply_updates(params, updates), opt, stats

        def step(i: int) -> None:
            state["params"], state["opt"], state["stats"] = jax.block_until_ready(
                update(state["params"], state["opt"], state["stats"], features, labels))
        return step

    def build(mode: str) -> Callable[[int], None]:
        compute = jnp.bfloat16 if mode == "jit-bf16" else jnp.float32
        if task == "probe":
            return build_probe(compute)
        if task == "forward":
            model = AimModel(trunk, with_head=True)
            everything = jnp.ones((batch, 1, n, n), bool)
            variables = jax.jit(model.init)(jax.random.key(0), x, everything)
            forward = jax.jit(lambda v, images: model.apply(cast(v, compute), images.astype(compute), everything))
            return lambda i: jax.block_until_ready(forward(variables, x))
        model = AimPretrainModel(cfg)
        flat = flatten_dict(jax.jit(model.init)(jax.random.key(0), x, prefix[0], causal[None, None])["params"], sep="/")
        frozen = {k: v for k, v in flat.items() if recipe.is_frozen(k)}
        state = {"params": {k: v for k, v in flat.items() if k not in frozen}}
        tx = optax.chain(clip_by_global_norm(CLIP),
                         optax.adamw(LR, b1=recipe.BETAS[0], b2=recipe.BETAS[1], eps=recipe.EPS, weight_decay=recipe.WEIGHT_DECAY,
                                     mask={k: recipe.is_decayed(k) for k in state["params"]}))
        state["opt"] = tx.init(state["params"])

        def loss(params: Any, images: jax.Array, mask: jax.Array) -> jax.Array:
            tree = cast(unflatten_dict({**params, **frozen}, sep="/"), compute)
            out = model.apply({"params": tree}, images.astype(compute), mask, causal | ~mask[:, None, None, :])
            return out["loss"].astype(jnp.float32)

        @jax.jit
        def update(params: Any, opt: Any, images: jax.Array, mask: jax.Array) -> tuple[Any, Any]:
            grads = jax.grad(loss)(params, images, mask)
            updates, opt = tx.update(grads, opt, params)
            return optax.apply_updates(params, updates), opt

        def step(i: int) -> None:
            state["params"], state["opt"] = jax.block_until_ready(update(state["params"], state["opt"], x, prefix[i % MASKS]))
        return step

    return {"version": jax.__version__}, build


if __name__ == "__main__":
    main()
