"""The worker process the JVM drives (Java: ``ai.aim4j.interop.worker.PythonWorker``).

Started as ``python -m aim4j.worker --socket PATH --dir DIR --backend NAME``: it imports the backend,
connects to the JVM's Unix-domain socket and then answers one JSON line per request line:

    request  {"id": 1, "op": "module:function", "args": {...}, "tensors": "DIR/request-1.arrow" | null}
    reply    {"id": 1, "ok": true, "result": {...}, "tensors": "DIR/reply-1.arrow" | null}
             {"id": 1, "ok": false, "error": "ValueError: ...", "traceback": "..."}

Tensors travel as tensor files (`aim4j.ipc`) in DIR, the JVM's private folder in shared memory. The
worker exits when the socket closes, and also when its standard input (a pipe from the JVM) reaches
its end, which is how it notices a JVM killed without warning; either way it removes DIR.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, BinaryIO, Callable

import numpy as np

from aim4j import ipc

# What each backend imports before the worker reports ready.
BACKENDS: dict[str, tuple[str, ...]] = {"numpy": (), "jax": ("jax", "jax.numpy"), "torch": ("torch",)}

Op = Callable[[dict[str, Any], dict[str, np.ndarray]], tuple[dict[str, Any], dict[str, np.ndarray]]]


def resolve(name: str) -> Op:
    """The function an op names: ``module:function`` inside the aim4j package, or a bare name for
    one of the built-in ops in `aim4j.ops`."""
    module_name, sep, function = name.rpartition(":")
    if not sep:
        module_name = "aim4j.ops"
    if module_name != "aim4j" and not module_name.startswith("aim4j."):
        raise ValueError(f"op {name!r} is outside the aim4j package")
    fn = getattr(importlib.import_module(module_name), function, None)
    if not callable(fn):
        raise ValueError(f"{module_name} has no op {function!r}")
    return fn


def _json_default(value: Any) -> Any:
    """NumPy scalars and small arrays in results become plain JSON values."""
    if isinstance(value, (np.generic, np.ndarray)):
        return value.tolist()
    raise TypeError(f"an op result holds {type(value).__name__}, which is not JSON")


def _encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, default=_json_default).encode() + b"\n"


def handle(line: bytes, folder: Path) -> bytes:
    """Runs one request line and returns its reply line; errors in the request or the op become error replies."""
    try:
        request = json.loads(line)
        if not isinstance(request, dict) or not isinstance(request.get("op"), str) or not isinstance(request.get("args", {}), dict):
            raise ValueError("expected an object with a string op and object args")
    except ValueError as e:
        return _encode({"id": None, "ok": False, "error": f"bad control message: {e}"})
    request_id = request.get("id")
    path = request.get("tensors")
    reply_path = folder / f"reply-{request_id}.arrow"
    try:
        op = resolve(request["op"])
        tensors = ipc.read_tensors(path, writable=True)[0] if path else {}
        result, out = op(request.get("args", {}), tensors)
        if not isinstance(result, dict) or not isinstance(out, dict):
            raise TypeError(f"the op returned ({type(result).__name__}, {type(out).__name__}), not (dict, dict)")
        if out:
            ipc.write_tensors(reply_path, out)
        return _encode({"id": request_id, "ok": True, "result": result, "tensors": str(reply_path) if out else None})
    except Exception as e:  # an op's failure goes back to the JVM; the worker carries on
        reply_path.unlink(missing_ok=True)
        return _encode({"id": request_id, "ok": False, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc()})
    finally:
        if path:
            Path(path).unlink(missing_ok=True)


def _exit_when_parent_goes(folder: Path) -> None:
    """Removes the folder and exits as soon as standard input ends: the JVM has gone, however it died."""

    def watch() -> None:
        # the raw descriptor, not sys.stdin: a thread blocked in a buffered reader breaks interpreter shutdown
        while os.read(0, 4096):
            pass
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _send(out: BinaryIO, line: bytes) -> None:
    out.write(line)
    out.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m aim4j.worker", description=__doc__.splitlines()[0])
    parser.add_argument("--socket", required=True, help="the JVM's Unix-domain socket")
    parser.add_argument("--dir", required=True, type=Path, help="the folder tensor files are exchanged in")
    parser.add_argument("--backend", required=True, help="one of " + ", ".join(BACKENDS))
    args = parser.parse_args(argv)
    _exit_when_parent_goes(args.dir)
    if args.backend not in BACKENDS:
        print(f"aim4j worker: unknown backend {args.backend!r}; one of {', '.join(BACKENDS)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    for module in BACKENDS[args.backend]:
        importlib.import_module(module)
    imported = time.monotonic() - started
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(args.socket)
        reader, writer = sock.makefile("rb"), sock.makefile("wb")
        print(f"aim4j worker: backend {args.backend} ready (pid {os.getpid()}, imports {imported:.2f} s)", file=sys.stderr)
        _send(writer, _encode({"ready": True, "pid": os.getpid(), "backend": args.backend, "python": sys.version.split()[0],
                               "import_seconds": imported}))
        for line in reader:
            _send(writer, handle(line, args.dir))
    shutil.rmtree(args.dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
