"""Encoded images to pixels as aim4j's Java decoder gives them (arrow-io's ``ImageDecoder``):
uint8 (H, W, C), gray images one channel, everything else RGB with any alpha dropped (not
composited), EXIF orientation ignored."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def decode(data: bytes | memoryview) -> np.ndarray:
    """Decodes PNG, JPEG, BMP, GIF, ... bytes to a uint8 (H, W, C) array with C = 1 or 3."""
    with Image.open(io.BytesIO(data)) as img:
        if img.mode == "L":
            return np.asarray(img, dtype=np.uint8)[:, :, None]
        if img.mode == "1":
            return np.asarray(img.convert("L"), dtype=np.uint8)[:, :, None]
        return np.asarray(img.convert("RGB"), dtype=np.uint8)
