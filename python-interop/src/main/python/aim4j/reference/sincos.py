"""The fixed 2-D sin-cos position table of AIM (MAE's formula, as ml-aim and ml-l3m lay it out)."""

from __future__ import annotations

import numpy as np


def sincos_table(grid_h: int, grid_w: int, dim: int) -> np.ndarray:
    """The (grid_h * grid_w, dim) table in float64, tokens in row-major grid order.

    With ``q = dim / 4`` and ``omega_k = 1 / 10000^(k / q)``, token (r, c) gets
    ``[sin(c omega), cos(c omega), sin(r omega), cos(r omega)]``: the first half of the channels
    encodes the column, the second half the row. Computed in float64 and cast by the caller; the
    official float32 table differs from it by rounding only (at most 5.4e-7 for a 16x16 grid).
    """
    q = dim // 4
    omega = 1.0 / 10000.0 ** (np.arange(q, dtype=np.float64) / q)
    rows, cols = np.meshgrid(np.arange(grid_h, dtype=np.float64), np.arange(grid_w, dtype=np.float64), indexing="ij")
    c = np.outer(cols.reshape(-1), omega)
    r = np.outer(rows.reshape(-1), omega)
    return np.concatenate([np.sin(c), np.cos(c), np.sin(r), np.cos(r)], axis=1)
