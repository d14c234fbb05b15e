"""StreamToPythonTest's consumer: runs JavaLoader as a user would and reports what it received.

argv[1] is a JSON spec: {"command": [...aim4j...], "runs": [...]}. A run is
  {"mode": "batches", "out": DIR, "loader": {JavaLoader keywords}}: every batch's tensors are written
      to DIR/<step>-<name>.bin (raw bytes) and facts about their memory are reported;
  {"mode": "error", "loader": {...}}: the JavaLoaderError's message is reported;
  {"mode": "die", "loader": {...}}: after one batch, the pid and ring are printed and this process
      kills itself with SIGKILL (no cleanup of its own can run).
Prints one JSON report per run.
"""

import json
import os
import signal
import sys
from pathlib import Path

import numpy as np

from aim4j.data import JavaLoader, JavaLoaderError


def mapping_of(array: np.ndarray) -> object:
    """The object at the end of an array's base chain (the slot's memory map for a zero-copy view)."""
    base = array
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    return base


def batches(command: list, out: Path, loader_args: dict) -> dict:
    import jax
    import torch

    out.mkdir(parents=True, exist_ok=True)
    facts = []
    with JavaLoader(command=command, **loader_args) as loader:
        for batch in loader:
            for name, array in batch.items():
                (out / f"{batch.step}-{name}.bin").write_bytes(array.tobytes())
            (out / f"{batch.step}-cursor.txt").write_text("%d:%d" % batch.cursor)
            images = batch["images"]
            slot = mapping_of(images)
            on_device = batch.as_jax()["images"]
            facts.append({
                "aligned": all(a.ctypes.data % 64 == 0 for a in batch.values()),
                "slot_bytes": len(slot),
                "in_slot": bool(np.shares_memory(images, np.frombuffer(slot, dtype=np.uint8))),
                "jax_aliased": on_device.unsafe_buffer_pointer() == images.ctypes.data,
                "jax_equal": bool(np.array_equal(np.asarray(on_device), images)),
                "torch_shared": batch.as_torch()["images"].data_ptr() == images.ctypes.data,
            })
    return {"batches": facts, "ring_left": loader.ring.exists()}


def main() -> None:
    spec = json.loads(sys.argv[1])
    for run in spec["runs"]:
        if run["mode"] == "batches":
            report = batches(spec["command"], Path(run["out"]), run["loader"])
        elif run["mode"] == "error":
            try:
                JavaLoader(command=spec["command"], **run["loader"])
                report = {"error": None}
            except JavaLoaderError as e:
                report = {"error": str(e)}
        else:
            loader = JavaLoader(command=spec["command"], **run["loader"])
            next(loader)
            print(json.dumps({"pid": loader.pid, "ring": str(loader.ring)}), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
