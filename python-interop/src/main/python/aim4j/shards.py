"""aim4j's Arrow shards, memory-mapped: the files of a dataset (a folder with ``manifest.json`` and
its shards, or one Arrow IPC file or stream), checked against the manifest as arrow-io's
``ShardSet`` checks them, and each record batch's columns as NumPy views of the mapped pages.
The layout is specified in arrow-io/README.md."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

MANIFEST = "manifest.json"
_FILE_MAGIC = b"ARROW1"


class DatasetError(OSError):
    """A dataset that cannot be read: the message names the file and the problem."""


@dataclass(frozen=True)
class Column:
    """How a dataset stores its pixels: ``raw`` (uint8 HWC), ``features`` (float32 (T, D)) or
    ``encoded`` (PNG, JPEG, ... bytes in Hugging Face's ``struct<bytes, path>``)."""

    name: str
    kind: str
    shape: tuple[int, ...] | None


@dataclass(frozen=True)
class Batch:
    """One record batch: ids, labels and pixels as views of the mapped file (no copies)."""

    ids: np.ndarray | None
    labels: np.ndarray
    pixels: Any  # np.ndarray (rows, *shape) for fixed-width columns, a pa.BinaryArray of encoded images otherwise


def shard_files(location: Path) -> list[tuple[Path, int | None]]:
    """The Arrow files of a dataset with the row count its manifest gives each (None for a single
    file), checked against the manifest: present, of the listed size."""
    if location.is_file():
        return [(location, None)]
    manifest_file = location / MANIFEST
    if not manifest_file.is_file():
        raise DatasetError(f"{location}: no {MANIFEST} (not a sharded dataset, or an interrupted 'shard' run)")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        listed = [(location / s["file"], int(s["bytes"]), int(s["rows"])) for s in manifest["shards"]]
    except (ValueError, KeyError, TypeError) as e:
        raise DatasetError(f"{manifest_file}: unreadable manifest: {e!r}") from e
    if not listed:
        raise DatasetError(f"{manifest_file}: the manifest lists no shards")
    for file, size, _ in listed:
        if not file.is_file():
            raise DatasetError(f"{file}: shard listed in the manifest is missing")
        if file.stat().st_size != size:
            raise DatasetError(f"{file}: {file.stat().st_size} bytes, the manifest says {size} (truncated or replaced)")
    return [(file, rows) for file, _, rows in listed]


def map_batches(file: Path) -> tuple[pa.Schema, list[pa.RecordBatch]]:
    """Maps ``file`` (Arrow IPC file or stream format) and returns its record batches, which point
    into the mapping."""
    try:
        source = pa.memory_map(str(file), "r")
        with open(file, "rb") as f:
            is_file_format = f.read(len(_FILE_MAGIC)) == _FILE_MAGIC
        if is_file_format:
            reader = pa.ipc.open_file(source)
            return reader.schema, [reader.get_batch(i) for i in range(reader.num_record_batches)]
        stream = pa.ipc.open_stream(source)
        return stream.schema, list(stream)
    except (pa.ArrowException, OSError) as e:
        raise DatasetError(f"{file}: not a readable Arrow IPC file: {e}") from e


def image_column(file: Path, schema: pa.Schema) -> Column:
    """The pixel column of a shard's schema, as ``ShardSet`` reads it."""
    if schema.get_field_index("label") < 0:
        raise DatasetError(f"{file}: missing column 'label'; expected image and label")
    name = "features" if schema.get_field_index("features") >= 0 else "image"
    if schema.get_field_index(name) < 0:
        raise DatasetError(f"{file}: missing column 'image'; expected image and label")
    field = schema.field(name)
    if pa.types.is_fixed_size_binary(field.type):
        meta = field.metadata or {}
        shape_text = meta.get(b"aim4j.shape")
        if shape_text is None:
            raise DatasetError(f"{file}: {name} column without its aim4j.shape metadata")
        shape = tuple(int(s) for s in shape_text.decode().split(","))
        return Column(name, "features" if name == "features" else "raw", shape)
    if pa.types.is_struct(field.type) and field.type.get_field_index("bytes") >= 0:
        return Column(name, "encoded", None)
    raise DatasetError(f"{file}: image column of type {field.type} (expected fixed-size binary or struct<bytes, path>)")


def batch_views(batch: pa.RecordBatch, column: Column) -> Batch:
    """The columns of ``batch`` as views of its buffers."""
    ids = batch.column("id").to_numpy(zero_copy_only=True) if "id" in batch.schema.names else None
    labels = batch.column("label").to_numpy(zero_copy_only=True)
    pixels = batch.column(column.name)
    if column.kind == "encoded":
        return Batch(ids, labels, pixels.field("bytes"))
    dtype = np.float32 if column.kind == "features" else np.uint8
    width = pixels.type.byte_width
    data = pixels.buffers()[1]
    flat = np.frombuffer(data, dtype=np.uint8, count=len(pixels) * width, offset=pixels.offset * width)
    return Batch(ids, labels, flat.view(dtype).reshape((len(pixels), *column.shape)))
