"""The Python half of ``aim4j bench stream``: images/s delivered into JAX by the Java loader
(:class:`aim4j.loader.JavaLoader`) and by the Pillow pipeline (:mod:`aim4j.pil_pipeline`) with the
same augmentation and as many worker processes as Java has decoding threads, one after the other in
this process. Prints one JSON object: the rates of each timed window and whether JAX aliased the
Java batches."""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Iterator

import jax
import numpy as np

from aim4j import pil_pipeline
from aim4j.loader import JavaLoader


def _deliver(images: np.ndarray) -> bool:
    """Puts a batch on JAX's default device and waits for it; true when JAX kept the array's memory."""
    x = jax.device_put(images, may_alias=True)
    x.block_until_ready()
    return x.unsafe_buffer_pointer() == images.ctypes.data


def _rates(batches: Iterator[np.ndarray], warmup: int, repeats: int, per_repeat: int) -> tuple[list[float], bool]:
    """Images/s of ``repeats`` windows of ``per_repeat`` batches after ``warmup`` untimed ones; whether every batch was aliased."""
    aliased = True
    for _ in range(warmup):
        aliased &= _deliver(next(batches))
    rates = []
    for _ in range(repeats):
        start = time.perf_counter()
        images = 0
        for _ in range(per_repeat):
            batch = next(batches)
            aliased &= _deliver(batch)
            images += batch.shape[0]
        rates.append(images / (time.perf_counter() - start))
    return rates, aliased


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--data", required=True, help="aim4j shard folder of encoded (JPEG) images")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--workers", type=int, required=True, help="Java decoding threads and Python worker processes")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--warmup", type=int, default=5, help="untimed batches first (JIT, pool start)")
    p.add_argument("--repeats", type=int, default=5, help="timed windows")
    p.add_argument("--batches", type=int, default=4, help="batches per timed window")
    p.add_argument("--command", required=True, help="the aim4j command line as a JSON list")
    a = p.parse_args(argv)
    count = a.warmup + a.repeats * a.batches
    with JavaLoader(a.data, a.batch_size, "pretrain", augment="rrc", threads=a.workers, steps=count, image_size=a.image_size,
                    command=json.loads(a.command)) as loader:
        java, aliased = _rates((b["images"] for b in loader), a.warmup, a.repeats, a.batches)
    with contextlib.closing(pil_pipeline.batches(a.data, a.batch_size, a.workers, a.image_size, count)) as batches:
        python, _ = _rates(batches, a.warmup, a.repeats, a.batches)
    print(json.dumps({"java": java, "python": python, "java_aliased": aliased, "device": str(jax.devices()[0])}))


if __name__ == "__main__":
    main()
