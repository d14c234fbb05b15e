"""Checks the reference models against parity fixture folders and prints a table per tensor.

    python -m aim4j.reference.check FIXTURE_DIR [FIXTURE_DIR ...] --backend jax|torch [--dtype float32 float64]

A forward fixture (config.json, inputs.npz, outputs.npz, prefix_outputs.npz, weights*) is run from
every weights file present; a pre-training fixture (config.json with a ``decoder``, grads.npz,
step.npz, step_noclip.npz) through one pre-training step. float32 results are compared with the
float32 references (forward: also the float64 ones), float64 results with the ``_f64`` references,
with the tolerances of ``tolerance.py``. Every reference tensor must be matched: a missing output
fails. Exit status 0 only when every comparison of every folder passes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from .api import BACKENDS, forward, pretrain_step
from .recipe import attention_allowed
from .tolerance import Row, Tolerance, compare
from .weights import flatten_tree, unflatten_tree

FLAX_FILE = "weights_flax.msgpack"
WEIGHT_FILES = ("weights.safetensors", "weights.pth", FLAX_FILE, "weights_flax.npz")
#: The label of the Flax weights rewritten in ml-aim's converter layout (see ``converter_layout``).
CONVERTER_FILE = "converter_flax.msgpack"
PRETRAIN_OUTPUTS = ("trunk_tokens", "head_preds", "targets_normalized", "per_position_loss", "loss")

#: The fixtures hold float32 and float64 results (mixed precision is compared live, against torch.autocast).
FIXTURE_DTYPES = ("float32", "float64")


def check_case(folder: Path, backend: str, dtypes: list[str]) -> list[Row]:
    """Every comparison of one fixture folder."""
    config = json.loads((folder / "config.json").read_text())
    inputs = _npz(folder / "inputs.npz")
    rows = pretrain_rows if "decoder" in config else forward_rows
    return list(rows(folder, config, inputs, backend, dtypes))


def forward_rows(folder: Path, config: dict, inputs: dict[str, np.ndarray], backend: str, dtypes: list[str]) -> Iterator[Row]:
    outputs = _npz(folder / "outputs.npz")
    prefix_file = folder / "prefix_outputs.npz"
    prefix = _npz(prefix_file) if prefix_file.is_file() else {}
    files = {f: folder / f for f in WEIGHT_FILES if (folder / f).is_file()}
    if not files:
        raise ValueError(f"{folder}: no weights file ({', '.join(WEIGHT_FILES)})")
    with tempfile.TemporaryDirectory() as tmp:
        if FLAX_FILE in files:
            files[CONVERTER_FILE] = converter_layout(files[FLAX_FILE], Path(tmp) / CONVERTER_FILE)
        for name, path in files.items():
            yield from _forward_file_rows(folder.name, name, path, config, inputs, outputs, prefix, backend, dtypes)


def _forward_file_rows(case: str, name: str, path: Path, config: dict, inputs: dict[str, np.ndarray], outputs: dict[str, np.ndarray],
                       prefix: dict[str, np.ndarray], backend: str, dtypes: list[str]) -> Iterator[Row]:
    for dtype in dtypes:
        got = forward(backend, config, str(path), inputs["images"], inputs["prefix_mask"] if prefix else None, dtype)
        tol = Tolerance.FLOAT64 if dtype == "float64" else Tolerance.FLOAT32
        for file, refs, key_prefix in (("outputs.npz", outputs, ""), ("prefix_outputs.npz", prefix, "prefix/")):
            for key in _base_keys(refs):
                for ref_key in _reference_keys(refs, key, dtype):
                    yield compare(case, name, dtype, f"{file}:{key}", ref_key, got.get(key_prefix + key),
                                  refs[ref_key], tol)


def converter_layout(msgpack: Path, out: Path) -> Path:
    """A copy of a Flax msgpack in the layout ml-aim's ``torch_weights_to_jax`` actually writes: the
    BatchNorm running statistics left in ``params`` as ``running_{mean,var}`` and scalar placeholders
    0 / 1 in ``batch_stats``. Loading it must give the same model."""
    from flax import serialization

    flat = flatten_tree(serialization.msgpack_restore(msgpack.read_bytes()))
    moved: dict[str, np.ndarray] = {}
    for path, value in flat.items():
        collection, rest = path.split("/", 1)
        if collection == "batch_stats":
            module, leaf = rest.rsplit("/", 1)
            moved[f"params/{module}/running_{leaf}"] = value
            moved[path] = np.asarray(0.0 if leaf == "mean" else 1.0, np.float32)
        else:
            moved[path] = value
    tree = unflatten_tree(moved)
    # params before batch_stats, kept in place (a copy would sort the keys): placeholders read after
    # the real statistics overwrite them unless the reader recognizes them.
    out.write_bytes(serialization.msgpack_serialize({"params": tree["params"], "batch_stats": tree["batch_stats"]}, in_place=True))
    return out


def pretrain_rows(folder: Path, config: dict, inputs: dict[str, np.ndarray], backend: str, dtypes: list[str]) -> Iterator[Row]:
    outputs = _npz(folder / "outputs.npz")
    grads = _npz(folder / "grads.npz")
    weights = str(folder / "weights.safetensors")
    images, mask = inputs["images"], inputs["prefix_mask"]
    case = folder.name
    yield compare(case, "-", "bool", "attention mask", "attn_mask", attention_allowed(mask)[:, 0], outputs["attn_mask"],
                  Tolerance.EXACT)
    own_f32: dict[str, np.ndarray] = {}
    for dtype in dtypes:
        f64 = dtype == "float64"
        suffix = "_f64" if f64 else ""
        got = pretrain_step(backend, config, weights, images, mask, dtype)
        if not f64:
            own_f32 = got
        for key in PRETRAIN_OUTPUTS:
            if key + suffix in outputs:
                tol = Tolerance.FLOAT64 if f64 else Tolerance.LOSS if key == "loss" else Tolerance.FLOAT32
                yield compare(case, "outputs.npz", dtype, key, key + suffix, got.get(key), outputs[key + suffix], tol)
        yield compare(case, "outputs.npz", dtype, "target_mask", "target_mask", got.get("target_mask"), outputs["target_mask"],
                      Tolerance.EXACT)
        for name in _parameter_names(grads):
            if name + suffix in grads:
                yield compare(case, "grads.npz", dtype, f"grad/{name}", name + suffix, got.get(f"grad/{name}"), grads[name + suffix],
                              Tolerance.FLOAT64 if f64 else Tolerance.GRADIENT)
        if "grad_norm" + suffix in grads:
            yield compare(case, "grads.npz", dtype, "grad_norm", "grad_norm" + suffix, got.get("grad_norm"), grads["grad_norm" + suffix],
                          Tolerance.FLOAT64 if f64 else Tolerance.GRADIENT)
        if not f64:
            yield compare(case, "grads.npz", dtype, "clip_coef", "clip_coef", got.get("clip_coef"), grads["clip_coef"], Tolerance.GRADIENT)
            # The inference model reads the same checkpoint under ml-aim's names (q/k/v stacked, no decoder).
            # float32 only: it computes its sin-cos table rather than reading the stored float32 one, which
            # in float64 differs by that table's rounding (about 2e-7 at the output).
            trunk = forward(backend, config, weights, images, mask, dtype)
            yield compare(case, "weights.safetensors", dtype, "forward: prefix/post_trunk_norm", "trunk_tokens_f64",
                          trunk.get("prefix/post_trunk_norm"), outputs["trunk_tokens_f64"], Tolerance.FLOAT32)
    if not own_f32:
        return
    # The fixture's step starts from its stored float32 gradients (a first AdamW step is about
    # -lr * sign(g), so elements with |g| near eps would follow rounding noise in our own gradients).
    # Tensors a trimmed fixture omits take our own gradients, which only matters through the norm.
    stored = {n[len("grad/"):]: g for n, g in own_f32.items() if n.startswith("grad/")}
    stored.update({n: grads[n] for n in _parameter_names(grads)})
    for file, clip in (("step.npz", 1.0), ("step_noclip.npz", None)):
        after = _npz(folder / file)
        got = pretrain_step(backend, config, weights, images, mask, "float32", lr=1e-3, clip=clip, grads=stored)
        for name in after:
            yield compare(case, file, "float32", f"step/{name}", name, got.get(f"step/{name}"), after[name], Tolerance.STEP)


def print_rows(rows: list[Row]) -> bool:
    """Prints the rows as an aligned table and a summary line; returns whether all passed."""
    print(f"{'case':<16} {'weights':<22} {'model':<8} {'output':<52} {'reference':<44} {'shape':<16} {'error':>10} {'bound':>10}  result")
    for r in rows:
        print(f"{r.case:<16} {r.weights:<22} {r.dtype:<8} {r.output:<52} {r.reference:<44} {r.shape:<16} {r.error:10.3e} {r.bound:10.3e}  "
              f"{'PASS' if r.passed else 'FAIL'}")
    return bool(rows) and all(r.passed for r in rows)


def _parameter_names(grads: dict[str, np.ndarray]) -> list[str]:
    return [k for k in grads if not k.endswith("_f64") and k not in ("grad_norm", "clip_coef")]


def _base_keys(refs: dict[str, np.ndarray]) -> list[str]:
    return list(dict.fromkeys(k.removesuffix("_f64") for k in refs))


def _reference_keys(refs: dict[str, np.ndarray], key: str, dtype: str) -> list[str]:
    """float64 runs against the float64 references; float32 runs against both (as the Java forward check)."""
    keys = [key + "_f64"] if dtype == "float64" else [key, key + "_f64"]
    return [k for k in keys if k in refs]


def _npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: not a readable npz file ({e})") from e


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aim4j.reference.check", description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="parity fixture folders")
    parser.add_argument("--backend", choices=BACKENDS, required=True)
    parser.add_argument("--dtype", nargs="+", choices=FIXTURE_DTYPES, default=list(FIXTURE_DTYPES))
    args = parser.parse_args(argv)
    all_ok = True
    for folder in args.folders:
        try:
            rows = check_case(folder, args.backend, args.dtype)
        except (OSError, ValueError, KeyError) as e:
            print(f"aim4j.reference.check: error: {folder}: {e}", file=sys.stderr)
            return 1
        ok = print_rows(rows)
        failed = sum(not r.passed for r in rows)
        print(f"{folder.name} [{args.backend}]: {'ALL PASS' if ok else 'FAILED'}: {len(rows) - failed} of {len(rows)} comparisons within tolerance")
        all_ok &= ok
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
