"""The Java loader's batches in Python: ``aim4j stream`` in a child process fills a ring of
shared-memory slots, and :class:`JavaLoader` hands each batch out as NumPy arrays that are views of
the slot (no copy), ready for ``jax.device_put(x, may_alias=True)`` and ``torch.from_numpy``.

The batches are the ones ``aim4j pretrain`` trains on for the same seed, rank and world: the Java
side builds its loader with the trainer's own wiring. The control protocol is described in
python-interop/README.md.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from aim4j.ipc import read_mapped

#: The variable naming the ``aim4j`` launcher script when it is not the one of this checkout.
LAUNCHER_VARIABLE = "AIM4J_LAUNCHER"
_ERROR_PREFIX = "aim4j: error: "


class JavaLoaderError(RuntimeError):
    """``aim4j stream`` failed or left; the message is its error line."""


def default_command() -> list[str]:
    """The command that runs ``aim4j``: ``$AIM4J_LAUNCHER``, else the launcher script of the checkout
    this package lives in (``<checkout>/python-interop/src/main/python/aim4j`` -> ``<checkout>/aim4j``)."""
    named = os.environ.get(LAUNCHER_VARIABLE)
    if named:
        return [named]
    launcher = Path(__file__).resolve().parents[5] / "aim4j"
    if not launcher.is_file():
        raise JavaLoaderError(
            f"no aim4j launcher at {launcher}: set {LAUNCHER_VARIABLE} to the aim4j script of a checkout")
    return [str(launcher)]


class StreamBatch(dict):
    """One batch: ``images`` (float32 ``(N, C, H, W)``, or uint8 ``(N, H, W, C)`` untransformed),
    ``labels`` (int32), ``ids`` and ``epochs`` (int64), as NumPy arrays.

    Unless the loader copies, the arrays are views of a shared-memory slot, valid until the loader's
    next batch or :meth:`JavaLoader.release`; the same holds for the JAX and PyTorch arrays of
    :meth:`as_jax` and :meth:`as_torch`, which alias that memory.
    """

    def __init__(self, arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> None:
        super().__init__(arrays)
        self.metadata = metadata

    @property
    def step(self) -> int:
        """The batch's index in the stream (0 for the first batch of a run)."""
        return int(self.metadata["step"])

    @property
    def cursor(self) -> tuple[int, int]:
        """``(epoch, position)`` of the sample after this batch: ``JavaLoader(..., cursor=batch.cursor)``
        continues the stream there, as a resumed ``aim4j pretrain`` does."""
        return int(self.metadata["cursor_epoch"]), int(self.metadata["cursor_position"])

    def as_jax(self) -> dict[str, Any]:
        """The arrays on JAX's default device; on the CPU they alias the slot (no copy)."""
        import jax

        return {k: jax.device_put(v, may_alias=True) for k, v in self.items()}

    def as_torch(self) -> dict[str, Any]:
        """The arrays as PyTorch tensors sharing their memory."""
        import torch

        return {k: torch.from_numpy(v) for k, v in self.items()}


class JavaLoader:
    """Iterates the batches ``aim4j stream`` delivers (the pre-training loader's: sampler, decoding
    and transform on Java threads).

    Each batch's arrays are views of a shared-memory slot and stay valid until the next batch is
    taken or :meth:`release` is called; pass ``copy=True`` for arrays of their own (the slot is then
    released at once). Closing the loader (``with`` block, :meth:`close`, garbage collection or the
    interpreter's exit) ends the Java process and removes the slots' folder; the Java process also
    stops by itself when this process dies. A Java-side failure raises :class:`JavaLoaderError` with
    Java's error line.

    The Java command is ``command`` (a list), else :func:`default_command` (``$AIM4J_LAUNCHER`` or the
    checkout's ``aim4j`` script).
    """

    def __init__(self, data: str | os.PathLike[str], batch_size: int, transform: str = "pretrain", seed: int = 0,
                 rank: int = 0, world: int = 1, threads: int | None = None, steps: int | None = None, *,
                 image_size: int | None = None, channels: int | None = None, augment: str = "auto",
                 cursor: tuple[int, int] = (0, 0), slots: int = 4, shm: str | os.PathLike[str] | None = None,
                 copy: bool = False, command: Sequence[str] | None = None) -> None:
        args = [*(command if command is not None else default_command()), "stream", "--data", str(data),
                "--batch-size", str(batch_size), "--transform", transform, "--augment", augment, "--seed", str(seed),
                "--rank", str(rank), "--world", str(world), "--cursor", f"{cursor[0]}:{cursor[1]}", "--slots", str(slots)]
        for flag, value in (("--threads", threads), ("--steps", steps), ("--image-size", image_size),
                            ("--channels", channels), ("--shm", shm)):
            if value is not None:
                args += [flag, str(value)]
        self._copy = copy
        self._held: int | None = None
        self._finished = False
        self._proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._stderr = _StderrPump(self._proc.stderr)
        # The folder is known once Java announces it; the finalizer needs it without holding self.
        self._ring: list[str] = []
        self._finalizer = weakref.finalize(self, _shut_down, self._proc, self._ring, self._stderr)
        hello = self._read_line()
        if hello is None or "ring" not in hello:
            raise self._failure()
        self._ring.append(hello["ring"])
        self._slot_bytes = int(hello["slot_bytes"])
        self._slots = [_map(Path(hello["ring"]) / f"slot-{i}", self._slot_bytes) for i in range(int(hello["slots"]))]

    @property
    def pid(self) -> int:
        """The Java process's id (of the launcher script, which ``exec``s Java)."""
        return self._proc.pid

    @property
    def ring(self) -> Path:
        """The folder of the shared-memory slots."""
        return Path(self._ring[0])

    def __iter__(self) -> Iterator[StreamBatch]:
        return self

    def __next__(self) -> StreamBatch:
        if self._finished:
            raise StopIteration
        self.release()
        line = self._read_line()
        if line is None:
            raise self._failure()
        if "end" in line:
            self._finished = True
            self.close()
            raise StopIteration
        slot = int(line["slot"])
        arrays, metadata = read_mapped(self._slots[slot], int(line["bytes"]), writable=True)
        if self._copy:
            arrays = {k: v.copy() for k, v in arrays.items()}
            self._send(f"release {slot}")
        else:
            self._held = slot
        return StreamBatch(arrays, metadata)

    def release(self) -> None:
        """Gives the current batch's slot back to Java (its arrays must not be used afterwards)."""
        if self._held is not None:
            slot, self._held = self._held, None
            self._send(f"release {slot}")

    def close(self) -> None:
        """Ends the Java process and removes the slots' folder (arrays already handed out stay readable)."""
        self._held = None
        self._finalizer()

    def __enter__(self) -> JavaLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _read_line(self) -> dict[str, Any] | None:
        raw = self._proc.stdout.readline()
        return json.loads(raw) if raw else None

    def _send(self, line: str) -> None:
        try:
            self._proc.stdin.write(line.encode() + b"\n")
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            # Java has gone; the next read reports why.
            pass

    def _failure(self) -> JavaLoaderError:
        """The error of a Java process that stopped talking, after it has exited."""
        try:
            code = self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
        self._stderr.join()
        self.close()
        if self._stderr.error:
            return JavaLoaderError(self._stderr.error)
        tail = " | ".join(self._stderr.last)
        return JavaLoaderError(f"aim4j stream ended (exit code {code}) without an error line" + (f": {tail}" if tail else ""))


class _StderrPump(threading.Thread):
    """Forwards Java's standard error to ours, keeping its error line for the exception."""

    def __init__(self, stream: BinaryIO) -> None:
        super().__init__(name="aim4j-stream-stderr", daemon=True)
        self._stream = stream
        self.error: str | None = None
        self.last: list[str] = []
        self.start()

    def run(self) -> None:
        for raw in self._stream:
            line = raw.decode(errors="replace").rstrip("\n")
            if _ERROR_PREFIX in line:
                # From the prefix on: the launcher's build output may share the line.
                self.error = line[line.index(_ERROR_PREFIX):]
            else:
                print(line, file=sys.stderr)
                self.last = [*self.last[-4:], line]


def _map(path: Path, size: int) -> mmap.mmap:
    with open(path, "r+b") as f:
        return mmap.mmap(f.fileno(), size)


def _shut_down(proc: subprocess.Popen[bytes], ring: list[str], stderr: _StderrPump) -> None:
    """Closes Java's input (it stops at once), escalates to SIGTERM and SIGKILL, removes the ring."""
    try:
        proc.stdin.close()
    except OSError:
        pass
    for sig in (None, signal.SIGTERM, signal.SIGKILL):
        if sig is not None:
            proc.send_signal(sig)
        try:
            proc.wait(timeout=10)
            break
        except subprocess.TimeoutExpired:
            continue
    stderr.join(timeout=5)
    for folder in ring:
        shutil.rmtree(folder, ignore_errors=True)
