"""Worker operations behind ``aim4j parity live``: a reference model's forward pass or
pre-training step on the batch the JVM sends, returned under the parity fixtures' keys.

``reference`` is ``aim4j`` (this package's own JAX/Flax and PyTorch models, :mod:`aim4j.reference`)
or ``ml-aim`` (Apple's official ``aim`` package, when importable: :mod:`aim4j.official`).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

Tensors = dict[str, np.ndarray]


def forward(args: Mapping[str, Any], tensors: Mapping[str, np.ndarray]) -> tuple[dict[str, Any], Tensors]:
    """Every forward output of the reference (``prefix/`` ones with the prefix mask)."""
    images = tensors["images"]
    mask = tensors.get("prefix_mask")
    if args["reference"] == "ml-aim":
        from aim4j import official

        out, notes = official.forward(args["backend"], dict(args["config"]), args["weights"], images, mask, args["dtype"])
        return {"notes": notes}, out
    from aim4j import reference

    out = reference.forward(args["backend"], dict(args["config"]), args["weights"], images, mask, args["dtype"])
    return {}, out


def pretrain_step(args: Mapping[str, Any], tensors: Mapping[str, np.ndarray]) -> tuple[dict[str, Any], Tensors]:
    """The reference's loss, gradients (``grad/``), grad norm, clip coefficient and one AdamW step (``step/``)."""
    if args["reference"] == "ml-aim":
        raise ValueError("ml-aim has no pre-training code (its recipe lives in ml-l3m): use --reference aim4j with --pretrain")
    from aim4j import reference

    out = reference.pretrain_step(args["backend"], dict(args["config"]), args["weights"], tensors["images"], tensors["prefix_mask"],
                                  args["dtype"], clip=args.get("clip"))
    return {}, out
