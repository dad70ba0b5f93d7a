"""Several vehicles' windows on one detector input: pure layout, painting and mapping back.

One run per vehicle crop, each scaled up to the plate detector's input, spends most of each run
on an upscaled small crop (and on the demo clip ~6 runs per frame). At native scale the vehicles
of one frame fit on one or two sheets 640 wide, side by side with a grey gap (the detector's own
padding colour) so that no box straddles two of them: one run finds the plates of them all
(MODELS.md: 40-80 px plates are found at native scale in 640 tiles). A sheet is only as tall as
its rows: the dynamic-shape detector then runs a few vehicles at a fraction of a 640 square's cost,
at the same scale (its long side stays 640).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from edge.core import Box

Window = tuple[int, int, int, int]  # left, top, right, bottom in frame pixels
GAP_PX = 8
PAD = 114  # the plate detector's letterbox colour


@dataclass(frozen=True, slots=True)
class Sheet:
    """Windows laid on one canvas: each with its top-left corner on the canvas."""

    width: int
    height: int
    placed: tuple[tuple[Window, int, int], ...]


def shelves(windows: Sequence[Window], size: int) -> list[Sheet]:
    """Windows packed onto sheets `size` wide and at most `size` tall, in rows (tallest first), each
    sheet as tall as its rows; a window larger than a sheet gets a sheet of its own size, alone (the
    detector then scales it down).

    >>> [(len(s.placed), s.height) for s in shelves([(0, 0, 300, 200), (0, 0, 300, 100), (0, 0, 100, 100)], 640)]
    [(3, 308)]
    >>> [(s.width, s.height) for s in shelves([(0, 0, 900, 100), (0, 0, 10, 10)], 640)]
    [(900, 100), (640, 10)]
    >>> [(s.width, s.height) for s in shelves([(0, 0, 600, 400)] * 2, 640)]
    [(640, 400), (640, 400)]
    >>> shelves([], 640)
    []
    """
    sheets: list[Sheet] = []
    rows: list[tuple[Window, int, int]] = []
    x = y = row_height = 0
    for window in sorted(windows, key=lambda w: (-(w[3] - w[1]), w)):
        w, h = window[2] - window[0], window[3] - window[1]
        if w > size or h > size:
            sheets.append(Sheet(w, h, ((window, 0, 0),)))
            continue
        if x + w > size:  # next row
            x, y, row_height = 0, y + row_height + GAP_PX, 0
        if y + h > size:  # next sheet
            sheets.append(Sheet(size, y - GAP_PX, tuple(rows)))
            rows, x, y, row_height = [], 0, 0, 0
        rows.append((window, x, y))
        x, row_height = x + w + GAP_PX, max(row_height, h)
    if rows:
        sheets.append(Sheet(size, y + row_height, tuple(rows)))
    return sheets


def paint(image: NDArray[np.uint8], sheet: Sheet) -> NDArray[np.uint8]:
    """The sheet's canvas: each window's pixels where it was placed, the detector's grey elsewhere."""
    canvas = np.full((sheet.height, sheet.width, 3), PAD, dtype=np.uint8)
    for (left, top, right, bottom), x, y in sheet.placed:
        canvas[y:y + bottom - top, x:x + right - left] = image[top:bottom, left:right]
    return canvas


def unpack(sheet: Sheet, box: Box) -> Box | None:
    """A box found on the canvas in frame pixels (clipped to the window its centre lies in), or
    None when its centre lies in a gap.

    >>> sheet = Sheet(640, 640, (((100, 50, 300, 150), 0, 0), ((500, 400, 600, 500), 208, 0)))
    >>> unpack(sheet, (220.0, 10.0, 260.0, 30.0)), unpack(sheet, (202.0, 0.0, 206.0, 4.0))
    ((512.0, 410.0, 552.0, 430.0), None)
    """
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for (left, top, right, bottom), x, y in sheet.placed:
        if x <= cx < x + right - left and y <= cy < y + bottom - top:
            dx, dy = left - x, top - y
            return (max(left, box[0] + dx), max(top, box[1] + dy), min(right, box[2] + dx), min(bottom, box[3] + dy))
    return None
