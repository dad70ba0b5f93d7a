"""Where to look for the plate: the best frames of the violating vehicle, then the plate in each.

The plate detector (YOLOv8n, MODELS.md §4) runs on the vehicle's crop, never on a whole
frame: the crop is what we need read, and a whole frame would also find compliant vehicles'
plates. Frames are ranked before anything runs, so the detector and the OCR only see the few
frames most likely to give a legible plate: the largest vehicle box (most pixels on the
plate), the sharpest crop (no motion blur), the most frontal view (nearest the image's
vertical centre line, where a camera looking along the road sees fronts head-on), and not cut
by the frame's edge (the plate may be the part outside).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.core import Box
from edge.detect.config import YoloConfig
from edge.detect.yolo import YoloDetector
from edge.geometry import cut_by_border
from edge.imaging import margin_window

__all__ = ["PlateDetector", "PlateFinder", "PlateHit", "VehicleView", "rank_views", "vehicle_crop"]

@dataclass(frozen=True, slots=True)
class VehicleView:
    """The violating vehicle in one ring-buffer frame."""

    frame_index: int
    image: NDArray[np.uint8]  # the whole frame, BGR
    box: Box  # the vehicle, frame pixels


@dataclass(frozen=True, slots=True)
class PlateHit:
    box: Box  # frame pixels
    confidence: float


class PlateFinder(Protocol):
    """One method: the plate on the vehicle in one view, or None."""

    def find(self, view: VehicleView) -> PlateHit | None: ...


def vehicle_crop(view: VehicleView, margin: float) -> tuple[NDArray[np.uint8], tuple[int, int]]:
    """The vehicle plus a margin, clipped to the frame, and the crop's offset in the frame."""
    left, top, right, bottom = margin_window(view.image.shape, view.box, margin)
    return view.image[top:bottom, left:right], (left, top)


def _sharpness(view: VehicleView) -> float:
    """Variance of the Laplacian at one fixed crop width, so near and far vehicles compare."""
    crop, _ = vehicle_crop(view, 0.0)
    if crop.size == 0:
        return 0.0
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    grey = cv2.resize(grey, (128, max(8, round(128 * grey.shape[0] / max(1, grey.shape[1])))),
                      interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def rank_views(views: Sequence[VehicleView], keep: int) -> list[VehicleView]:
    """The `keep` views most likely to show a legible plate, best first.

    >>> frame = np.zeros((100, 200, 3), np.uint8)
    >>> views = [VehicleView(1, frame, (90, 10, 110, 30)), VehicleView(2, frame, (80, 20, 120, 60)),
    ...          VehicleView(3, frame, (150, 50, 200, 100))]  # 3 is big but cut by the frame's edge
    >>> [v.frame_index for v in rank_views(views, 2)]
    [2, 3]
    """
    if not views:
        return []
    areas = np.array([max(0.0, (v.box[2] - v.box[0]) * (v.box[3] - v.box[1])) for v in views])
    sharp = np.array([_sharpness(v) for v in views])
    scores = []
    for view, area, crisp in zip(views, areas, sharp, strict=True):
        height, width = view.image.shape[:2]
        x1, _, x2, _ = view.box
        centre_offset = abs((x1 + x2) / 2 - width / 2) / (width / 2)
        cut = bool(cut_by_border(np.array(view.box), (0, 0, width, height)).any())  # the plate may be out of view
        score = (area / max(areas.max(), 1e-9)) * (0.5 + 0.5 * crisp / max(sharp.max(), 1e-9))
        score *= 1.0 - 0.5 * centre_offset
        score *= 0.5 if cut else 1.0
        scores.append(score)
    order = sorted(range(len(views)), key=lambda i: (-scores[i], views[i].frame_index))
    return [views[i] for i in order[:keep]]


# Around a plate found on the shrunk crop, the window it is found again in at full resolution: its
# size on each side, enough for the coarse box's error and for the detector to see the plate's surround.
_REFINE_MARGIN = 0.5


class PlateDetector:
    """The plate in a vehicle crop: the most confident plate box, in frame pixels.

    The crop is first shrunk so the vehicle's box is at most `vehicle_px` wide: the plate
    detector's cost grows with its input's area, and it finds a plate as well at 32–64 px
    as at 80–130 (plate tune split: 298 of 300 at a 256 px input, 287 of 300 at 640). The
    narrowest plate a vehicle carries is about an eighth of its box (a bus's front seen a little
    from the side), so at 400 px every plate is still ≥ ~48 px at the detector's input. A box
    found at the smaller size is found again at full resolution in a window around it (a small
    input, a few per cent of the search's cost): at 400 px alone the box's edges were off by
    enough to cut a plate's last letter ("PT6417TJ" read "PT6417T", plate eval split).
    """

    def __init__(self, config: YoloConfig, margin: float, vehicle_px: int | None = None) -> None:
        self._detector = YoloDetector(config)
        self._margin = margin
        self._vehicle_px = vehicle_px

    def find(self, view: VehicleView) -> PlateHit | None:
        crop, (left, top) = vehicle_crop(view, self._margin)
        if min(crop.shape[:2]) < 8:
            return None
        width = view.box[2] - view.box[0]
        scale = min(1.0, self._vehicle_px / width) if self._vehicle_px and width > 0 else 1.0
        if scale < 1.0:
            size = (max(8, round(crop.shape[1] * scale)), max(8, round(crop.shape[0] * scale)))
            crop = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
        hit = self._best(crop, left, top, scale)
        if hit is None or scale >= 1.0:
            return hit
        x0, y0, x1, y1 = margin_window(view.image.shape, hit.box, _REFINE_MARGIN)
        return self._best(view.image[y0:y1, x0:x1], x0, y0, 1.0) or hit

    def _best(self, image: NDArray[np.uint8], left: int, top: int, scale: float) -> PlateHit | None:
        """The most confident plate in `image` (a `scale`d window whose corner is `left`, `top`), in frame pixels."""
        if min(image.shape[:2]) < 8:
            return None
        found = self._detector.detect(image)
        if len(found) == 0 or found.confidence is None:
            return None
        best = int(np.argmax(found.confidence))
        x1, y1, x2, y2 = (float(v) / scale for v in found.xyxy[best])
        return PlateHit((x1 + left, y1 + top, x2 + left, y2 + top), float(found.confidence[best]))
