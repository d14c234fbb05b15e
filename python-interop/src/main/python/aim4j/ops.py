"""The built-in worker ops, callable by their bare names: versions of the Python stack, and small
ops that exercise the bridge itself. Every op takes ``(args, tensors)`` and returns ``(result,
tensors)``; see `aim4j.worker`."""

from __future__ import annotations

import functools
import importlib.metadata
import platform
import sys
from typing import Any

import numpy as np

import aim4j
from aim4j import ipc

Tensors = dict[str, np.ndarray]

# The distributions the bridge is built on, by their package-index names.
STACK = ("numpy", "jax", "jaxlib", "flax", "optax", "orbax-checkpoint", "torch", "pyarrow")


def versions(args: dict[str, Any], tensors: Tensors) -> tuple[dict[str, Any], Tensors]:
    """The versions of Python, the stack's packages (null where one is missing) and aim4j."""
    found: dict[str, Any] = {"python": platform.python_version(), "aim4j": aim4j.__version__}
    for name in STACK:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    return found, {}


def echo(args: dict[str, Any], tensors: Tensors) -> tuple[dict[str, Any], Tensors]:
    """The arguments and tensors unchanged (the tensors read and written again by aim4j.ipc)."""
    return dict(args), dict(tensors)


def add(args: dict[str, Any], tensors: Tensors) -> tuple[dict[str, Any], Tensors]:
    """The element-wise sum of all tensors (NumPy broadcasting and type promotion) as ``sum``."""
    if not tensors:
        raise ValueError("add needs at least one tensor")
    total = functools.reduce(np.add, tensors.values())
    return {"dtype": str(total.dtype), "shape": list(total.shape)}, {"sum": total}


def describe(args: dict[str, Any], tensors: Tensors) -> tuple[dict[str, Any], Tensors]:
    """How each tensor arrived: type, shape, address modulo 64, writability, and, for the frameworks
    named in ``args["frameworks"]`` ("jax", "torch"), whether handing it over shared its memory."""
    frameworks = args.get("frameworks", [])
    described = {}
    for name, a in tensors.items():
        d: dict[str, Any] = {"dtype": str(a.dtype), "shape": list(a.shape), "address_mod_64": a.ctypes.data % ipc.ALIGNMENT,
                             "writable": bool(a.flags.writeable)}
        if "jax" in frameworks:
            d["jax_shares"] = ipc.to_jax(a).unsafe_buffer_pointer() == a.ctypes.data
        if "torch" in frameworks:
            d["torch_shares"] = ipc.to_torch(a).data_ptr() == a.ctypes.data
        described[name] = d
    return {"tensors": described, "modules": sorted(m for m in ("jax", "torch") if m in sys.modules)}, {}
