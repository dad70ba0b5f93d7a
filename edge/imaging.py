"""Cutting a box out of a frame: the one crop rule every stage uses (evidence close-ups, the
plate detector's vehicle window, the plate crop). numpy only."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from edge.core import Box


def margin_window(shape: tuple[int, ...], box: Box, margin: float) -> tuple[int, int, int, int]:
    """The box plus `margin` × its size on each side, clipped to an image of `shape`, in whole
    pixels: (left, top, right, bottom).

    >>> margin_window((720, 1280, 3), (1200, 600, 1300, 760), 0.25)
    (1175, 560, 1280, 720)
    """
    height, width = shape[:2]
    x1, y1, x2, y2 = box
    mx, my = (x2 - x1) * margin, (y2 - y1) * margin
    left, top = max(0, int(x1 - mx)), max(0, int(y1 - my))
    right, bottom = min(width, int(np.ceil(x2 + mx))), min(height, int(np.ceil(y2 + my)))
    return left, top, right, bottom


def crop_with_margin(image: NDArray[np.uint8], box: Box, margin: float) -> NDArray[np.uint8]:
    """A copy of the box plus its margin (`margin_window`); original pixels, no resampling.

    >>> crop_with_margin(np.zeros((720, 1280, 3), np.uint8), (1200, 600, 1300, 760), 0.25).shape
    (160, 105, 3)
    """
    left, top, right, bottom = margin_window(image.shape, box, margin)
    return image[top:bottom, left:right].copy()
