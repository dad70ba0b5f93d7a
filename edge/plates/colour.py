"""The plate's background colour, which says its category (private, government, public transport...).

The letters and the background are the two tones of a plate: Otsu's threshold on brightness
splits the middle of the crop into both, and the larger part is the background (letters cover
about a third of a plate). A saturated background is named by its hue; an unsaturated one is
black if it is the darker tone (the style before 2022) and white otherwise (the 2022 style).
Judging by the darker/lighter tone rather than absolute brightness keeps a plate at dusk white.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.plates.indonesia import PlateColour

__all__ = ["plate_colour"]

MIN_SATURATION = 90  # of 255: below this the background is grey, whatever its hue
_HUES: tuple[tuple[PlateColour, float, float], ...] = (("red", -20, 8), ("yellow", 12, 35), ("green", 36, 90))


def plate_colour(crop: NDArray[np.uint8]) -> PlateColour:
    """Background colour of a BGR plate crop.

    >>> plate = np.full((40, 120, 3), (40, 36, 196), np.uint8)  # red plate
    >>> plate[10:30, 20:100:8] = 240  # white strokes
    >>> plate_colour(plate)
    'red'
    >>> plate_colour(np.zeros((2, 2, 3), np.uint8))
    'unknown'
    """
    height, width = crop.shape[:2]
    # The detector's box is loose: keep the middle, which is plate, not car.
    middle = crop[round(height * 0.2) : round(height * 0.8), round(width * 0.15) : round(width * 0.85)]
    if middle.size == 0 or min(middle.shape[:2]) < 4:
        return "unknown"
    hsv = cv2.cvtColor(middle, cv2.COLOR_BGR2HSV).reshape(-1, 3).astype(np.float64)
    grey = cv2.cvtColor(middle, cv2.COLOR_BGR2GRAY)
    threshold, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = grey.reshape(-1) > threshold
    background_is_bright = bright.mean() >= 0.5
    background = hsv[bright == background_is_bright]
    if len(background) == 0:
        return "unknown"
    saturation = float(np.median(background[:, 1]))
    value = float(np.median(background[:, 2]))
    if saturation < MIN_SATURATION or value < 40:
        return "white" if background_is_bright else "black"
    # OpenCV hue runs 0–180; red wraps around 0.
    hue = float(np.median(np.where(background[:, 0] > 150, background[:, 0] - 180, background[:, 0])))
    return next((name for name, low, high in _HUES if low <= hue <= high), "unknown")
