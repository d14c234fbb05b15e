"""aim4j datasets in Python: :class:`ShardDataset`, random access to the rows of an aim4j dataset
(memory-mapped Arrow shards), usable as a Grain data source or a PyTorch map-style ``Dataset``;
and :func:`order`, the ids each rank reads in an epoch, exactly as aim4j's Java sampler deals them.
:class:`JavaLoader` (the Java pre-training loader's batches over shared memory) is imported on first
use, so that reading shards never starts anything Java-related.
"""

from __future__ import annotations

import bisect
import operator
import os
from pathlib import Path
from typing import Any

import numpy as np

from aim4j import images, sampler, shards
from aim4j.shards import DatasetError

__all__ = ["DatasetError", "JavaLoader", "JavaLoaderError", "ShardDataset", "StreamBatch", "order"]

_LOADER_NAMES = ("JavaLoader", "JavaLoaderError", "StreamBatch")


class ShardDataset:
    """The rows of an aim4j dataset folder (``manifest.json`` and its ``shard-*.arrow`` files) or of
    one Arrow file, as ``{"id": int, "label": int, "image": np.ndarray}``.

    Raw images are read-only uint8 (H, W, C) views of the memory-mapped shard (no copy); encoded
    images (PNG, JPEG, ...) are decoded with Pillow to the same uint8 (H, W, C) the Java reader
    gives. Feature shards give ``"features"``, float32 (T, D) views, instead of ``"image"``.
    Pickling keeps only the path (a DataLoader worker maps the files again), and without torch
    installed nothing here imports it. (PyTorch's default collate makes tensors of the read-only
    views and warns once that they are not writable: the batch it stacks is a fresh copy.)
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        files = shards.shard_files(self.path)
        mapped = [shards.map_batches(f) for f, _ in files]
        first_file, first_schema = files[0][0], mapped[0][0]
        self.column = shards.image_column(first_file, first_schema)
        self._key = "features" if self.column.kind == "features" else "image"
        self._batches: list[shards.Batch] = []
        self._starts: list[int] = []
        rows = 0
        for (file, expected_rows), (schema, batches) in zip(files, mapped):
            if _columns(schema) != _columns(first_schema):
                raise DatasetError(f"{file}: its schema differs from {first_file}'s")
            file_rows = sum(b.num_rows for b in batches)
            if expected_rows is not None and file_rows != expected_rows:
                raise DatasetError(f"{file}: {file_rows} rows, the manifest says {expected_rows}")
            for b in batches:
                if b.num_rows:
                    self._starts.append(rows)
                    self._batches.append(shards.batch_views(b, self.column))
                    rows += b.num_rows
        self._rows = rows

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, index: int) -> dict[str, Any]:
        i = operator.index(index)
        if i < 0:
            i += self._rows
        if not 0 <= i < self._rows:
            raise IndexError(f"row {index} of {self._rows}")
        k = bisect.bisect_right(self._starts, i) - 1
        batch, row = self._batches[k], i - self._starts[k]
        sample_id = int(batch.ids[row]) if batch.ids is not None else i
        item: dict[str, Any] = {"id": sample_id, "label": int(batch.labels[row])}
        if self.column.kind == "encoded":
            encoded = batch.pixels[row].as_buffer()
            try:
                item["image"] = images.decode(encoded)
            except (OSError, ValueError) as e:  # Pillow's UnidentifiedImageError is an OSError
                raise DatasetError(f"{self.path}: row {i} (id {sample_id}): not a decodable image ({encoded.size} bytes): {e}") from e
        else:
            item[self._key] = batch.pixels[row]
        return item

    def ids(self) -> np.ndarray:
        """Every row's id in row order (the row index where the data has no id column)."""
        parts = [b.ids if b.ids is not None else np.arange(s, s + len(b.labels))
                 for b, s in zip(self._batches, self._starts)]
        return np.concatenate(parts).astype(np.int64, copy=False) if parts else np.empty(0, np.int64)

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])

    def __repr__(self) -> str:
        return f"ShardDataset({str(self.path)!r}, rows={self._rows}, {self.column.kind})"


def _columns(schema: Any) -> list[tuple[str, str]]:
    """What two shards must share: column names and types (not metadata), as ``ShardSet`` compares them."""
    return [(f.name, str(f.type)) for f in schema]


def order(path: str | os.PathLike[str] | ShardDataset, seed: int, epoch: int, rank: int = 0, world: int = 1) -> np.ndarray:
    """The ids rank ``rank`` of ``world`` reads in epoch ``epoch`` of a run seeded ``seed``, in
    order: what ``aim4j data order PATH --seed S --epoch E --rank R --world W`` prints."""
    dataset = path if isinstance(path, ShardDataset) else ShardDataset(path)
    return dataset.ids()[sampler.rank_positions(len(dataset), seed, epoch, rank, world)]


def __getattr__(name: str) -> Any:
    if name in _LOADER_NAMES:
        from aim4j import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
