"""``java.util.SplittableRandom`` (JDK 17-25) in NumPy, bit for bit: the seed sequence, ``nextInt()``
and ``nextInt(bound)`` with its rejection loop, so Python draws exactly what aim4j's Java sampler
draws. The algorithm is spelled out in arrow-io/README.md ("Order: the algorithm").

Draws are computed in blocks: the generator's k-th output depends only on ``seed + k * gamma``,
so a whole block of ``nextInt()`` values is one vectorised expression, and the rare rejections of
the bounded draw only shift which output the following bounds read.
"""

from __future__ import annotations

import numpy as np

GOLDEN_GAMMA = 0x9E3779B97F4A7C15
_MASK64 = (1 << 64) - 1
_INT_MAX = (1 << 31) - 1
_BLOCK = 1 << 16


def _mix32(z: np.ndarray) -> np.ndarray:
    """Stafford's variant-4 mix, high 32 bits, as Java's ``mix32`` (uint64 in, int64 in [-2^31, 2^31) out)."""
    z = (z ^ (z >> np.uint64(33))) * np.uint64(0x62A9D9ED799705F5)
    z = ((z ^ (z >> np.uint64(28))) * np.uint64(0xCB24D0A5C88C35B3)) >> np.uint64(32)
    return z.astype(np.uint32).view(np.int32).astype(np.int64)


class SplittableRandom:
    """The subset of ``java.util.SplittableRandom`` aim4j uses: ``new SplittableRandom(seed)``,
    ``nextInt()`` and ``nextInt(bound)``, with Java's 64-bit wrapping arithmetic."""

    def __init__(self, seed: int) -> None:
        self._seed = seed & _MASK64
        self._gamma = GOLDEN_GAMMA

    def next_ints(self, count: int) -> np.ndarray:
        """The next ``count`` values of ``nextInt()``, as int64 holding Java's signed 32-bit ints."""
        steps = np.arange(1, count + 1, dtype=np.uint64)
        seeds = np.uint64(self._seed) + steps * np.uint64(self._gamma)
        self._seed = (self._seed + count * self._gamma) & _MASK64
        return _mix32(seeds)

    def next_bounded(self, bounds: np.ndarray) -> np.ndarray:
        """``nextInt(b)`` for each ``b`` of ``bounds`` in turn (each in ``[1, 2^31 - 1]``), as Java
        would draw them one after the other: ``RandomSupport.boundedNextInt``, rejection included."""
        bounds = np.asarray(bounds, dtype=np.int64)
        if bounds.size and (bounds.min() < 1 or bounds.max() > _INT_MAX):
            raise ValueError("bounds must lie in [1, 2^31 - 1]")
        out = np.empty(bounds.size, dtype=np.int64)
        done = 0
        while done < bounds.size:
            done += self._bounded_block(bounds[done:done + _BLOCK], out[done:done + _BLOCK])
        return out

    def _bounded_block(self, bounds: np.ndarray, out: np.ndarray) -> int:
        """Fills ``out`` for a prefix of ``bounds`` up to and including the first rejected draw (or
        all of them) and returns how many it filled; the generator advances by the draws consumed."""
        start = self._seed
        r = self.next_ints(bounds.size)
        m = bounds - 1
        power_of_two = (bounds & m) == 0
        u = (r >> 1) & _INT_MAX  # Java's r >>> 1 on the 32-bit value
        value = np.where(power_of_two, r & m, u % bounds)
        # Java keeps u % bound unless u + m - r overflows an int: the top, over-represented stretch.
        rejected = ~power_of_two & (u + m - value > _INT_MAX)
        if not rejected.any():
            out[:] = value
            return bounds.size
        first = int(np.argmax(rejected))
        out[:first] = value[:first]
        # Rewind to just after the rejected draw and redraw sequentially until one is accepted.
        self._seed = (start + (first + 1) * self._gamma) & _MASK64
        bound = int(bounds[first])
        while True:
            u_next = (int(self.next_ints(1)[0]) & 0xFFFFFFFF) >> 1
            v = u_next % bound
            if u_next + bound - 1 - v <= _INT_MAX:
                out[first] = v
                return first + 1


def java_mix_seed(seed: int, epoch: int) -> int:
    """The seed of an epoch's shuffle: ``seed * 0x9E3779B97F4A7C15 ^ (epoch + 1) * 0xC2B2AE3D27D4EB4F``
    in Java's wrapping 64-bit arithmetic."""
    return ((seed * 0x9E3779B97F4A7C15) ^ ((epoch + 1) * 0xC2B2AE3D27D4EB4F)) & _MASK64
