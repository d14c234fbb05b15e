"""The Python side of aim4j's orbax tests: orbax and flax themselves save and restore the checkpoints.

Usage: ``orbax_check.py save MSGPACK LAYOUT DIR [LAYOUT DIR ...]`` saves the tree of a flax msgpack
file as orbax checkpoints (LAYOUT: plain, chunked, zarr3 or ocdbt); ``orbax_check.py compare MSGPACK DIR...`` restores each
checkpoint with a plain ``PyTreeCheckpointer`` and prints ``SAME DIR LEAVES BYTES`` when its tree,
dtypes, shapes and bytes equal the msgpack file's, else ``DIFF DIR reason`` (and exits 1).
"""

from __future__ import annotations

import os
import sys
from typing import Any

import flax.serialization
import jax
import numpy as np
import orbax.checkpoint as ocp

from aim4j import orbax_io

#: Chunks of at most this many bytes split tiny-gray's larger arrays into a few dozen chunks each.
SMALL_CHUNK_BYTES = 4096


def official(msgpack: str) -> dict[str, Any]:
    """The tree flax itself restores from a msgpack file."""
    with open(msgpack, "rb") as f:
        return flax.serialization.msgpack_restore(f.read())


def save(msgpack: str, directory: str, layout: str) -> None:
    """Saves the msgpack file's tree through aim4j's orbax module (orbax does the writing)."""
    flat = orbax_io.flatten(official(msgpack))
    chunk_bytes = SMALL_CHUNK_BYTES if layout == "chunked" else None
    orbax_io.save(directory, flat, ocdbt=layout == "ocdbt", chunk_bytes=chunk_bytes, zarr3=layout == "zarr3")


def difference(expected: Any, actual: Any) -> str | None:
    """Why two trees differ in structure, dtype, shape or any bit; None when they are the same."""
    if jax.tree.structure(expected) != jax.tree.structure(actual):
        return f"tree {jax.tree.structure(actual)} is not {jax.tree.structure(expected)}"
    for (path, e), a in zip(jax.tree_util.tree_flatten_with_path(expected)[0], jax.tree.leaves(actual)):
        name = jax.tree_util.keystr(path)
        if not isinstance(a, np.ndarray):
            return f"{name} restored as {type(a).__name__}, not a NumPy array"
        if a.dtype != e.dtype or a.shape != e.shape:
            return f"{name} is {a.dtype}{a.shape}, not {e.dtype}{e.shape}"
        if a.tobytes() != e.tobytes():
            return f"{name} differs in {int(np.sum(a.view(np.uint8) != e.view(np.uint8)))} bytes"
    return None


def compare(msgpack: str, directories: list[str]) -> int:
    """Prints one line per checkpoint; returns the exit code (0 when every one is the same)."""
    expected = official(msgpack)
    code = 0
    for directory in directories:
        restored = ocp.PyTreeCheckpointer().restore(os.path.abspath(directory))
        why = difference(expected, restored)
        if why is None:
            leaves = jax.tree.leaves(expected)
            print(f"SAME {directory} {len(leaves)} {sum(x.nbytes for x in leaves)}")
        else:
            print(f"DIFF {directory} {why}")
            code = 1
    return code


if __name__ == "__main__":
    if sys.argv[1] == "save":
        for layout, directory in zip(sys.argv[3::2], sys.argv[4::2]):
            save(sys.argv[2], directory, layout)
    else:
        sys.exit(compare(sys.argv[2], sys.argv[3:]))
