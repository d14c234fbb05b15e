"""The usual Python input pipeline, as the reference ``aim4j bench stream`` compares the Java loader
with: JPEG decoding with Pillow and the pre-training augmentation in Pillow and NumPy, a batch per
task on a ``multiprocessing`` pool, batches pickled back to the consumer.

The augmentation has the parameters of Java's ``PretrainTransform`` (torchvision's RandomResizedCrop
sampling with scale 0.4-1 and ratio 3/4-4/3, one antialiased bicubic resampling of the crop box,
horizontal flip with probability 1/2, ImageNet normalization to float32 ``(C, H, W)``); its random
draws are NumPy's, so the pixels match the Java loader's in distribution, not bit for bit.
"""

from __future__ import annotations

import io
import json
import math
import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
from PIL import Image

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
SCALE = (0.4, 1.0)
LOG_RATIO = (math.log(3 / 4), math.log(4 / 3))

_images: pa.ChunkedArray | None = None


def encoded_images(data: str | Path) -> pa.ChunkedArray:
    """The encoded image bytes of an aim4j shard folder, in shard order (memory-mapped)."""
    root = Path(data)
    manifest = json.loads((root / "manifest.json").read_text())
    chunks = []
    for shard in manifest["shards"]:
        table = pa.ipc.open_file(pa.memory_map(str(root / shard["file"]))).read_all()
        chunks.extend(chunk.field("bytes") for chunk in table.column("image").chunks)
    return pa.chunked_array(chunks)


def crop_box(height: int, width: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """``(top, left, crop height, crop width)`` as torchvision's ``RandomResizedCrop.get_params``."""
    area = height * width
    for _ in range(10):
        target = area * rng.uniform(*SCALE)
        ratio = math.exp(rng.uniform(*LOG_RATIO))
        w = round(math.sqrt(target * ratio))
        h = round(math.sqrt(target / ratio))
        if 0 < w <= width and 0 < h <= height:
            return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
    in_ratio = width / height
    if in_ratio < 3 / 4:
        w, h = width, round(width / (3 / 4))
    elif in_ratio > 4 / 3:
        w, h = round(height * (4 / 3)), height
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def pretrain_transform(image: Image.Image, size: int, rng: np.random.Generator) -> np.ndarray:
    """RandomResizedCrop to ``size``, random flip, normalization: float32 ``(3, size, size)``."""
    image = image.convert("RGB")
    top, left, h, w = crop_box(image.height, image.width, rng)
    resized = image.resize((size, size), Image.Resampling.BICUBIC, box=(left, top, left + w, top + h))
    if rng.random() < 0.5:
        resized = resized.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    pixels = np.asarray(resized, dtype=np.float32) / 255.0
    return ((pixels - MEAN) / STD).transpose(2, 0, 1)


def _open(data: str) -> None:
    global _images
    _images = encoded_images(data)


def _batch(task: tuple[list[int], int, int]) -> np.ndarray:
    """One batch of transformed images, made in a worker process."""
    rows, size, seed = task
    out = np.empty((len(rows), 3, size, size), dtype=np.float32)
    for i, row in enumerate(rows):
        rng = np.random.default_rng((seed, row))
        image = Image.open(io.BytesIO(_images[row].as_py()))
        out[i] = pretrain_transform(image, size, rng)
    return out


def batches(data: str | Path, batch_size: int, workers: int, size: int, count: int, seed: int = 0) -> Iterator[np.ndarray]:
    """``count`` batches of a random order over the dataset, made by ``workers`` processes, in order."""
    rows = len(encoded_images(data))
    order = np.random.default_rng(seed).permutation(rows)
    tasks = [([int(order[(b * batch_size + i) % rows]) for i in range(batch_size)], size, seed) for b in range(count)]
    # Spawned, not forked: the consumer may have started JAX's threads, which a fork would copy mid-flight.
    with multiprocessing.get_context("spawn").Pool(workers, initializer=_open, initargs=(str(data),)) as pool:
        yield from pool.imap(_batch, tasks)
