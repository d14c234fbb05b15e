"""A minimal FlatBuffers builder: just enough to write Arrow IPC metadata (tables of scalars and
offsets, strings, vectors of tables and of structs), without the ``flatbuffers`` package.

Like the reference builders it writes back to front: every object is prepended, and an object is
identified by its distance from the end of the buffer. Distances are kept aligned, and `finish`
pads the front so the whole buffer is a multiple of 8 bytes, which makes every distance-aligned
value aligned in the final buffer too.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

# A table field: (slot, struct format of a scalar or "offset", value).
TableField = tuple[int, str, int]


class Builder:
    """Builds one flatbuffer; offsets returned by the methods refer to objects already written."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def _prepend(self, data: bytes) -> None:
        self._buf[0:0] = data

    def _align(self, size: int, additional: int = 0) -> None:
        """Pads so that after `additional` more bytes the buffer length is a multiple of `size`."""
        self._prepend(bytes(-(len(self._buf) + additional) % size))

    def _scalar(self, fmt: str, value: int) -> None:
        data = struct.pack("<" + fmt, value)
        self._align(len(data), len(data))
        self._prepend(data)

    def _uoffset(self, target: int) -> None:
        self._align(4, 4)
        self._prepend(struct.pack("<I", len(self._buf) + 4 - target))

    def string(self, text: str) -> int:
        """A NUL-terminated UTF-8 string with its length prefix."""
        data = text.encode("utf-8")
        self._align(4, len(data) + 1)
        self._prepend(data + b"\0")
        self._prepend(struct.pack("<I", len(data)))
        return len(self._buf)

    def offsets(self, targets: Sequence[int]) -> int:
        """A vector of offsets to tables or strings, in the given order."""
        self._align(4, 4 * len(targets))
        for target in reversed(targets):
            self._uoffset(target)
        self._prepend(struct.pack("<I", len(targets)))
        return len(self._buf)

    def structs(self, elements: Sequence[bytes], alignment: int = 8) -> int:
        """A vector of structs given as their packed bytes (all the same size)."""
        data = b"".join(elements)
        self._align(alignment, len(data))
        self._prepend(data)
        self._align(4, 4)
        self._prepend(struct.pack("<I", len(elements)))
        return len(self._buf)

    def table(self, fields: Sequence[TableField]) -> int:
        """A table whose fields are (slot, struct format or "offset", value); omitted slots are absent."""
        end = len(self._buf)
        where: dict[int, int] = {}
        for slot, fmt, value in fields:
            if fmt == "offset":
                self._uoffset(value)
            else:
                self._scalar(fmt, value)
            where[slot] = len(self._buf)
        self._align(4, 4)
        self._prepend(bytes(4))  # the table's offset to its vtable, filled in below
        table = len(self._buf)
        slots = max(where, default=-1) + 1
        vtable = struct.pack(f"<{2 + slots}H", 4 + 2 * slots, table - end,
                             *(table - where[s] if s in where else 0 for s in range(slots)))
        self._prepend(vtable)
        start = len(self._buf) - table
        self._buf[start:start + 4] = struct.pack("<i", len(self._buf) - table)
        return table

    def finish(self, root: int) -> bytes:
        """The finished buffer with `root` as its root table."""
        self._align(8, 4)
        self._uoffset(root)
        return bytes(self._buf)
