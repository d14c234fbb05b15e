"""The pieces of the AIM v1 recipe both backends share: the attention rule of prefix-causal
masking and ml-l3m's optimizer settings (AdamW hyperparameters, weight-decay exclusions, clipping)."""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase

import numpy as np

#: AdamW of the ml-l3m recipe (configs/aimv1): betas, eps and weight decay.
BETAS = (0.9, 0.95)
EPS = 1e-8
WEIGHT_DECAY = 0.05
#: Parameters whose full name matches one of these (shell-style, case-sensitive) are not decayed.
NO_DECAY_PATTERNS = ("*bias*", "*pos_embed*", "*norm*", "*gamma*")
#: The official clipping rule: ``coef = min(1, max_norm / (norm + CLIP_EPS))``.
CLIP_EPS = 1e-6
#: The normalized-pixel loss: ``(t - mean) / sqrt(unbiased var + PIXEL_EPS)`` per target patch.
PIXEL_EPS = 1e-6


def is_decayed(name: str) -> bool:
    """Whether weight decay applies to a parameter (ml-l3m's ``get_param_groups`` with the recipe's patterns)."""
    return not any(fnmatchcase(name, p) for p in NO_DECAY_PATTERNS)


def is_frozen(name: str) -> bool:
    """The fixed sin-cos tables, stored as parameters by ml-l3m but never trained."""
    return name.endswith("pos_embed")


def gradients_for(trainable: Mapping[str, object], grads: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The given gradient of every trainable parameter, in the parameters' order; ``ValueError`` naming a missing one."""
    missing = [n for n in trainable if n not in grads]
    if missing:
        raise ValueError(f"the given gradients lack {missing[0]} ({len(missing)} of {len(trainable)} trainable parameters)")
    return {n: grads[n] for n in trainable}


def attention_allowed(prefix_mask: np.ndarray) -> np.ndarray:
    """(B, 1, N, N) bool, True where query i may attend key j: ``j <= i`` or key j is a prefix token.

    ``prefix_mask[b, j]`` is True for a non-prefix (causal) token, as in ml-aim and ml-l3m.
    """
    n = prefix_mask.shape[1]
    causal = np.tril(np.ones((n, n), dtype=bool))
    return causal[None, None] | ~prefix_mask[:, None, None, :]
