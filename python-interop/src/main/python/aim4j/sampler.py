"""aim4j's sample order (arrow-io's ``Sampler``): one Fisher-Yates permutation of the rows per
``(seed, epoch)``, dealt out to ``world`` ranks one position each in turn. The specification is
arrow-io/README.md, "Order: the algorithm"; the Java and Python sides are tested to agree."""

from __future__ import annotations

import numpy as np

from aim4j.splittable import SplittableRandom, java_mix_seed


def permutation(size: int, seed: int, epoch: int) -> np.ndarray:
    """The row indices of epoch ``epoch``'s permutation (int64), as ``Sampler.permutation``."""
    if size <= 0 or size > (1 << 31) - 1:
        raise ValueError(f"a permutation needs 0 < size < 2^31 (got {size})")
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0 (got {epoch})")
    rng = SplittableRandom(java_mix_seed(seed, epoch))
    # Step i of the shuffle (i = n-1 down to 1) swaps p[i] with p[nextInt(i + 1)].
    swaps = rng.next_bounded(np.arange(size, 1, -1, dtype=np.int64)).tolist()
    p = list(range(size))
    for i, j in zip(range(size - 1, 0, -1), swaps):
        p[i], p[j] = p[j], p[i]
    return np.asarray(p, dtype=np.int64)


def rank_positions(size: int, seed: int, epoch: int, rank: int = 0, world: int = 1) -> np.ndarray:
    """The rows rank ``rank`` of ``world`` receives in epoch ``epoch``, in order: positions
    ``rank, rank + world, ...`` of the epoch's permutation (what ``aim4j data order`` lists)."""
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"need 0 <= rank < world (got rank {rank}, world {world})")
    return permutation(size, seed, epoch)[rank::world]
