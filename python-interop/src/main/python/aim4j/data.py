"""aim4j datasets in Python. :class:`JavaLoader` (the Java pre-training loader's batches over shared
memory) is imported on first use, so that reading shards never starts anything Java-related."""

from __future__ import annotations

from typing import Any

_LOADER_NAMES = ("JavaLoader", "JavaLoaderError", "StreamBatch")


def __getattr__(name: str) -> Any:
    if name in _LOADER_NAMES:
        from aim4j import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
