"""The parity tolerances, the same numbers as the Java checks use
(orchestrator/src/main/java/ai/aim4j/parity/Tolerance.java), and the comparison of one tensor.

Most bounds are absolute and scaled to the reference tensor's largest magnitude, because
element-wise relative errors explode near zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np


class Tolerance(Enum):
    """A bound per element: ``(value, scale)`` with scale ``max_abs_ref``, ``ulps`` or ``exact``."""

    #: float32 against the official float32 or float64 results: 2e-5 x max|ref|. The references' own
    #: float32-vs-float64 noise is at most about 1e-6 x max; another summation order adds a few times that.
    FLOAT32 = (2e-5, "max_abs_ref")
    #: float32 gradients: 1e-5 x max|ref| (measured errors about 1.1e-6 x max; a margin of ten).
    GRADIENT = (1e-5, "max_abs_ref")
    #: float64 against the official float64 results: 1e-10 x max|ref|. Double precision agrees to about
    #: 1e-12 x max whatever the operation order; more is a difference in the formula, not rounding.
    FLOAT64 = (1e-10, "max_abs_ref")
    #: the scalar float32 loss: 1e-5 x |ref| (its float32-vs-float64 noise is about 4e-8 relative).
    LOSS = (1e-5, "max_abs_ref")
    #: parameters after one AdamW step: 2 float32 ulps of the reference value, at least 3e-7 where
    #: |p| < 1. Float32 in torch's operation order reproduces the files to the bit; the bound leaves
    #: room for one rounding step of another order.
    STEP = (2.0, "ulps")
    #: boolean masks: equal or not.
    EXACT = (0.0, "exact")

    def bounds(self, ref: np.ndarray) -> np.ndarray:
        """The absolute bound of every element of a reference tensor."""
        value, scale = self.value
        ref = np.asarray(ref, dtype=np.float64)
        if scale == "max_abs_ref":
            return np.full(ref.shape, value * max(float(np.abs(ref).max(initial=0.0)), 1e-30))
        if scale == "ulps":
            ulp = np.abs(np.spacing(np.abs(ref).astype(np.float32))).astype(np.float64)
            return np.maximum(value * ulp, np.where(np.abs(ref) < 1, 3e-7, 0.0))
        return np.zeros(ref.shape)


@dataclass(frozen=True)
class Row:
    """One comparison: the worst element relative to its bound (its error and bound are reported)."""

    case: str
    weights: str
    dtype: str
    output: str
    reference: str
    shape: str
    error: float
    bound: float

    @property
    def passed(self) -> bool:
        return self.error <= self.bound


def compare(case: str, weights: str, dtype: str, output: str, reference: str, got: np.ndarray | None,
            ref: np.ndarray, tol: Tolerance) -> Row:
    """Compares ``got`` with ``ref`` element by element; a missing output, a shape mismatch or a NaN fails."""
    ref = np.asarray(ref)
    shape = str(list(ref.shape)).replace(" ", "")
    if got is None:
        return Row(case, weights, dtype, output, reference, "missing", float("inf"), 0.0)
    got = np.asarray(got)
    if got.shape != ref.shape:
        return Row(case, weights, dtype, output, reference, f"{list(got.shape)}vs{shape}".replace(" ", ""), float("inf"), 0.0)
    err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
    err = np.where(np.isnan(err), np.inf, err)
    bounds = tol.bounds(ref)
    if err.size == 0:
        return Row(case, weights, dtype, output, reference, shape, 0.0, 0.0)
    # The worst element is the one furthest over (or least under) its own bound.
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(err == 0, 0.0, err / bounds)
    i = np.unravel_index(np.argmax(ratio), ratio.shape)
    return Row(case, weights, dtype, output, reference, shape, float(err[i]), float(bounds[i]))
