"""Tensor files: named tensors in one Arrow IPC file, the format tensors cross the JVM/Python
boundary in (Java: ``ai.aim4j.interop.worker.TensorFile``).

One record batch of one row; one non-nullable ``FixedSizeList<element>(numel)`` field per tensor,
with field metadata ``aim4j.shape`` ("d0,d1,...", "" for a scalar) and, where the Arrow type alone is
ambiguous, ``aim4j.dtype`` (bool is stored as uint8, bfloat16 as uint16); free string metadata on the
schema. Every tensor's bytes start on a 64-byte boundary of the file, which pyarrow's writer does not
do (it aligns to 8): JAX on the CPU aliases a NumPy array only at a 64-byte aligned address, so
`read_tensors` over a memory map hands `to_jax` arrays it can use in place.
"""

from __future__ import annotations

import mmap
import os
import struct
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from aim4j.flatbuffer import Builder

ALIGNMENT = 64
SHAPE_KEY = "aim4j.shape"
DTYPE_KEY = "aim4j.dtype"

_MAGIC = b"ARROW1\0\0"
_CONTINUATION = b"\xff\xff\xff\xff"
_V5 = 4
_SCHEMA_HEADER, _RECORD_BATCH_HEADER = 1, 3
_INT, _FLOATING_POINT, _FIXED_SIZE_LIST = 2, 3, 16
_PRECISION = {2: 0, 4: 1, 8: 2}  # float itemsize -> Arrow Precision (HALF, SINGLE, DOUBLE)
_DECLARED = ("bool", "bfloat16")  # element types Arrow cannot name: stored as uint of their width
_IMPLIED = {"double": "float64", "float": "float32", "halffloat": "float16", "int64": "int64", "int32": "int32",
            "int16": "int16", "int8": "int8", "uint8": "uint8"}  # Arrow type -> NumPy type


class TensorFileError(ValueError):
    """A file that is not a readable tensor file, or tensors that cannot be written as one."""


def _bfloat16() -> np.dtype:
    try:
        import ml_dtypes
    except ImportError as e:  # ml_dtypes comes with jax
        raise TensorFileError("bfloat16 tensors need the ml_dtypes package (installed with jax)") from e
    return np.dtype(ml_dtypes.bfloat16)


def _align(n: int, alignment: int = ALIGNMENT) -> int:
    return -(-n // alignment) * alignment


def _as_tensor(name: str, value: Any) -> np.ndarray:
    """`value` as a C-ordered little-endian array of a supported type (a copy only where needed)."""
    a = np.asarray(value)
    if a.dtype.name not in ("float64", "float32", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"):
        raise TensorFileError(f"tensor {name}: element type {a.dtype} cannot be stored in a tensor file")
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("<"))
    if not a.flags.c_contiguous:
        a = a.copy(order="C")
    if a.size > 2**31 - 1:
        raise TensorFileError(f"tensor {name} has {a.size} elements; a tensor file holds at most 2**31-1 per tensor")
    return a


def _key_values(b: Builder, items: Mapping[str, str]) -> int:
    return b.offsets([b.table([(0, "offset", b.string(k)), (1, "offset", b.string(v))]) for k, v in items.items()])


def _field(b: Builder, name: str, a: np.ndarray) -> int:
    if a.dtype.kind == "f" and a.dtype.name != "bfloat16":
        tag, element = _FLOATING_POINT, b.table([(0, "h", _PRECISION[a.dtype.itemsize])])
    else:
        tag, element = _INT, b.table([(0, "i", 8 * a.dtype.itemsize), (1, "B", int(a.dtype.kind == "i"))])
    item = b.table([(0, "offset", b.string("item")), (1, "B", 0), (2, "B", tag), (3, "offset", element),
                    (5, "offset", b.offsets([]))])
    meta = {SHAPE_KEY: ",".join(str(d) for d in a.shape)}
    if a.dtype.name in _DECLARED:
        meta[DTYPE_KEY] = a.dtype.name
    fixed_size_list = b.table([(0, "i", a.size)])
    return b.table([(0, "offset", b.string(name)), (1, "B", 0), (2, "B", _FIXED_SIZE_LIST), (3, "offset", fixed_size_list),
                    (5, "offset", b.offsets([item])), (6, "offset", _key_values(b, meta))])


def _schema(b: Builder, arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> int:
    fields = [_field(b, name, a) for name, a in arrays.items()]
    return b.table([(0, "h", 0), (1, "offset", b.offsets(fields)), (2, "offset", _key_values(b, metadata))])


def _message(header_type: int, build_header, body_length: int) -> bytes:
    b = Builder()
    header = build_header(b)
    return b.finish(b.table([(0, "h", _V5), (1, "B", header_type), (2, "offset", header), (3, "q", body_length)]))


def _encapsulate(flatbuffer: bytes, offset: int, alignment: int) -> bytes:
    """The IPC message framing, padded so the message starting at `offset` ends on `alignment`."""
    length = _align(offset + 8 + len(flatbuffer), alignment) - offset - 8
    return _CONTINUATION + struct.pack("<i", length) + flatbuffer + bytes(length - len(flatbuffer))


def _layout(arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> tuple[bytes, list[int], int, bytes]:
    """(everything before the body, each tensor's offset in the body, body length, everything after)."""
    schema_message = _encapsulate(_message(_SCHEMA_HEADER, lambda b: _schema(b, arrays, metadata), 0), len(_MAGIC), 8)
    batch_offset = len(_MAGIC) + len(schema_message)
    offsets, at = [], 0
    for a in arrays.values():
        offsets.append(at)
        at = _align(at + a.nbytes)
    body_length = at

    def record_batch(b: Builder) -> int:
        nodes = [struct.pack("<qq", n, 0) for a in arrays.values() for n in (1, a.size)]
        buffers = [struct.pack("<qq", off, size) for off, a in zip(offsets, arrays.values()) for size in (0, 0, a.nbytes)]
        return b.table([(0, "q", 1), (1, "offset", b.structs(nodes)), (2, "offset", b.structs(buffers))])

    batch_message = _encapsulate(_message(_RECORD_BATCH_HEADER, record_batch, body_length), batch_offset, ALIGNMENT)
    b = Builder()
    schema = _schema(b, arrays, metadata)
    blocks = b.structs([struct.pack("<qi4xq", batch_offset, len(batch_message), body_length)])
    footer = b.finish(b.table([(0, "h", _V5), (1, "offset", schema), (3, "offset", blocks)]))
    tail = _CONTINUATION + bytes(4) + footer + struct.pack("<i", len(footer)) + _MAGIC[:6]
    return _MAGIC + schema_message + batch_message, offsets, body_length, tail


def write_tensors(path: str | os.PathLike, tensors: Mapping[str, Any], metadata: Mapping[str, str] | None = None) -> None:
    """Writes `tensors` (in order) and the schema `metadata` to `path` atomically (a temporary file
    in the same folder, fsynced, renamed); each tensor's bytes are copied once, into the file."""
    arrays = {name: _as_tensor(name, value) for name, value in tensors.items()}
    head, offsets, body_length, tail = _layout(arrays, dict(metadata or {}))
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(head)
            at = 0
            for off, a in zip(offsets, arrays.values()):
                f.write(bytes(off - at))
                f.write(a.reshape(-1).view(np.uint8).data)
                at = off + a.nbytes
            f.write(bytes(body_length - at))
            f.write(tail)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _element_type(field: pa.Field) -> np.dtype:
    declared = (field.metadata or {}).get(DTYPE_KEY.encode())
    stored = field.type.value_type
    if declared is None:
        if str(stored) not in _IMPLIED:
            raise TensorFileError(f"elements of Arrow type {stored} have no tensor type")
        return np.dtype(_IMPLIED[str(stored)])
    name = declared.decode()
    if name not in _DECLARED:
        raise TensorFileError(f"{DTYPE_KEY}={name} is not a known element type")
    dtype = np.dtype(bool) if name == "bool" else _bfloat16()
    if not pa.types.is_unsigned_integer(stored) or stored.bit_width != 8 * dtype.itemsize:
        raise TensorFileError(f"{DTYPE_KEY}={name} does not fit the stored Arrow type {stored}")
    return dtype


def read_tensors(path: str | os.PathLike, *, writable: bool = False) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The tensors and schema metadata of a tensor file, as NumPy arrays over a memory map of it (no
    copy). With `writable` the map is copy-on-write: the arrays may be changed, the file is not;
    without it the arrays are read-only and see later writes to the file."""
    try:
        with open(path, "rb") as f:
            mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY if writable else mmap.ACCESS_READ)
        whole = pa.py_buffer(mapped)
        reader = pa.ipc.open_file(whole)
        if reader.num_record_batches != 1:
            raise TensorFileError(f"holds {reader.num_record_batches} record batches, a tensor file has one")
        batch = reader.get_batch(0)
        batch.validate()
        if batch.num_rows != 1:
            raise TensorFileError(f"record batch of {batch.num_rows} rows, a tensor file has one")
        tensors = {field.name: _view(mapped, whole.address, field, column, writable) for field, column in zip(batch.schema, batch.columns)}
        metadata = {k.decode(): v.decode() for k, v in (batch.schema.metadata or {}).items()}
    except (OSError, ValueError, pa.ArrowException) as e:
        raise TensorFileError(f"{path}: not a readable tensor file: {e}") from e
    return tensors, metadata


def _view(mapped: mmap.mmap, base: int, field: pa.Field, column: pa.Array, writable: bool) -> np.ndarray:
    """A tensor field's elements as an array over the mapping."""
    if not pa.types.is_fixed_size_list(field.type):
        raise TensorFileError(f"tensor {field.name}: field of Arrow type {field.type}, a tensor is a fixed-size list")
    if column.null_count or column.values.null_count:
        raise TensorFileError(f"tensor {field.name}: has nulls")
    dtype = _element_type(field)
    numel = field.type.list_size
    shape_text = (field.metadata or {}).get(SHAPE_KEY.encode())
    shape = (numel,) if shape_text is None else tuple(int(d) for d in shape_text.decode().split(",") if d.strip())
    if int(np.prod(shape, dtype=np.int64)) != numel:
        raise TensorFileError(f"tensor {field.name}: shape {shape} does not hold the list's {numel} elements")
    data = column.values.buffers()[1]
    if data is None or numel == 0:
        empty = np.empty(shape, dtype)
        empty.flags.writeable = writable  # the same access as the mapped tensors
        return empty
    start = data.address - base + column.values.offset * dtype.itemsize
    return np.frombuffer(mapped, dtype=dtype, count=numel, offset=start).reshape(shape)


def is_aligned(array: np.ndarray) -> bool:
    """Whether the array's data starts on a 64-byte boundary (what JAX needs to alias it)."""
    return array.ctypes.data % ALIGNMENT == 0


def to_jax(array: np.ndarray):
    """The array as a JAX array on the CPU, sharing its memory when it is 64-byte aligned (JAX copies
    otherwise, as ``jnp.asarray`` always does). The JAX array keeps the memory map alive."""
    import jax

    return jax.device_put(array, may_alias=True)


def to_torch(array: np.ndarray):
    """The array as a torch tensor sharing its memory (bfloat16 included, which torch cannot take from
    NumPy directly). For a read-only array (a read-only map) the tensor must not be written to: its
    pages are mapped read-only."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
        if array.dtype.name == "bfloat16":
            return torch.from_numpy(array.view(np.uint16)).view(torch.bfloat16)
        return torch.from_numpy(array)
