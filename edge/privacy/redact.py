"""Hiding regions of a picture beyond recovery: pure functions, regions in, a new image out.

A region is pixelated into a mosaic whose cells are at least `cell_px` and so large that at most
`max_cells` fit across its short side, then blurred: a face or a plate keeps no detail to
sharpen, and the blur removes the cell edges that would tell a reader where the strokes were.
What must stay sharp (the violator's plate) is copied back from the original afterwards, so a
bystander overlapping it cannot hide it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.core import Box

RegionKind = Literal["person", "plate", "outside_vehicle"]
Pixels = tuple[int, int, int, int]
# How far (in box diagonals) a region may move between two clip keyframes and still be matched: on the
# demo clip a near plate moved 1.4 diagonals in 0.3 s; a wrong match only hides more.
REACH = 3.0


@dataclass(frozen=True, slots=True)
class Region:
    """Something hidden in one picture, and why (recorded in the event for the auditor)."""

    box: Pixels  # x1, y1, x2, y2 as detected, before the margin
    kind: RegionKind
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class Mosaic:
    cell_px: int = 12
    max_cells: int = 4
    margin: float = 0.15


def whole(box: Box) -> Pixels:
    """A float box as whole pixels, grown outward.

    >>> whole((1.2, 2.7, 10.1, 20.0))
    (1, 2, 11, 20)
    """
    x1, y1, x2, y2 = box
    return math.floor(x1), math.floor(y1), math.ceil(x2), math.ceil(y2)


def grown(box: Pixels, margin: float, shape: tuple[int, ...]) -> Pixels:
    """The box plus `margin` × its size on each side, clipped to an image of `shape`.

    >>> grown((10, 10, 30, 20), 0.5, (100, 25, 3))
    (0, 5, 25, 25)
    """
    height, width = shape[:2]
    x1, y1, x2, y2 = box
    mx, my = math.ceil((x2 - x1) * margin), math.ceil((y2 - y1) * margin)
    return max(0, x1 - mx), max(0, y1 - my), min(width, x2 + mx), min(height, y2 + my)


def cell_size(width: int, height: int, mosaic: Mosaic) -> int:
    """The mosaic cell for a region: at least `cell_px`, and at most `max_cells` across its short side.

    >>> cell_size(200, 60, Mosaic(cell_px=12, max_cells=4)), cell_size(20, 30, Mosaic(12, 4))
    (15, 12)
    """
    return max(mosaic.cell_px, math.ceil(min(width, height) / mosaic.max_cells))


def pixelate(patch: NDArray[np.uint8], cell: int) -> NDArray[np.uint8]:
    """The patch as a blurred mosaic of `cell`-pixel cells (a new array, same shape)."""
    height, width = patch.shape[:2]
    if height == 0 or width == 0:
        return patch.copy()
    small = cv2.resize(patch, (max(1, math.ceil(width / cell)), max(1, math.ceil(height / cell))),
                       interpolation=cv2.INTER_AREA)
    blocks = cv2.resize(small, (width, height), interpolation=cv2.INTER_NEAREST)
    kernel = cell | 1  # odd, about one cell: smooths the cell edges without pulling in sharp pixels
    return np.asarray(cv2.GaussianBlur(blocks, (kernel, kernel), 0), dtype=np.uint8)


def redact(image: NDArray[np.uint8], regions: Sequence[Region], keep: Sequence[Pixels],
           mosaic: Mosaic) -> NDArray[np.uint8]:
    """A copy of the image with every region hidden, then the `keep` boxes restored sharp.

    >>> img = np.arange(64 * 64 * 3, dtype=np.uint8).reshape(64, 64, 3)
    >>> out = redact(img, [Region((0, 0, 64, 64), "person", 0.9, "bystander")], [(0, 0, 8, 8)], Mosaic(8, 2, 0))
    >>> bool((out[:8, :8] == img[:8, :8]).all()), bool((out[20:40, 20:40] == img[20:40, 20:40]).all())
    (True, False)
    """
    out = image.copy()
    for region in regions:
        x1, y1, x2, y2 = grown(region.box, mosaic.margin, image.shape)
        if x2 > x1 and y2 > y1:
            out[y1:y2, x1:x2] = pixelate(out[y1:y2, x1:x2], cell_size(x2 - x1, y2 - y1, mosaic))
    height, width = image.shape[:2]
    for box in keep:
        x1, y1, x2, y2 = max(0, box[0]), max(0, box[1]), min(width, box[2]), min(height, box[3])
        if x2 > x1 and y2 > y1:
            out[y1:y2, x1:x2] = image[y1:y2, x1:x2]
    return out


def everything_but(shape: tuple[int, ...], reason: str) -> Region:
    """The whole picture, to hide when the detectors could not run (fail closed): with the
    violator's box as `keep`, only the violator stays sharp."""
    height, width = shape[:2]
    return Region((0, 0, width, height), "outside_vehicle", 1.0, reason)


def _centre(box: Pixels) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def _span(a: Pixels, b: Pixels) -> Pixels:
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def _widened(box: Pixels) -> Pixels:
    w, h = box[2] - box[0], box[3] - box[1]
    return box[0] - w, box[1] - h, box[2] + w, box[3] + h


def _nearest(region: Region, others: Sequence[Region]) -> int | None:
    """The index of the nearest region of the same kind within `REACH` diagonals, or None."""
    cx, cy = _centre(region.box)
    best: tuple[float, int] | None = None
    for k, other in enumerate(others):
        if other.kind != region.kind:
            continue
        ox, oy = _centre(other.box)
        distance = math.hypot(ox - cx, oy - cy)
        reach = REACH * max(math.hypot(b[2] - b[0], b[3] - b[1]) for b in (region.box, other.box))
        if distance <= reach and (best is None or distance < best[0]):
            best = (distance, k)
    return None if best is None else best[1]


def between(before: Sequence[Region], after: Sequence[Region]) -> tuple[Region, ...]:
    """What to hide in a clip frame between two keyframes: both keyframes' regions; for each region
    matched to the nearest of its kind in the other keyframe (centres closer than `REACH` times the
    larger box's diagonal), the box spanning both, which holds every position on a straight path
    between them (an interpolated box alone left a moving plate's edge readable on the demo clip);
    and a region seen in one keyframe only (entering or leaving the picture, or missed) widened by
    its own size on every side, wherever it went in between.

    >>> a = [Region((0, 0, 10, 10), "person", 0.5, "bystander")]
    >>> b = [Region((8, 2, 18, 12), "person", 0.6, "bystander")]
    >>> [r.box for r in between(a, b)]
    [(0, 0, 10, 10), (8, 2, 18, 12), (0, 0, 18, 12)]
    >>> [r.box for r in between(a, [])]
    [(0, 0, 10, 10), (-10, -10, 20, 20)]
    >>> between([], [])
    ()
    """
    extra = []
    matched: set[int] = set()
    for region in before:
        k = _nearest(region, after)
        if k is None:
            extra.append(replace(region, box=_widened(region.box)))
        else:
            matched.add(k)
            extra.append(replace(region, box=_span(region.box, after[k].box)))
    extra += [replace(r, box=_widened(r.box)) for k, r in enumerate(after) if k not in matched]
    return (*before, *after, *extra)
