"""Detect where the rules look: the box around the calibrated geometry, not the whole frame.

A detector letterboxes its input to a fixed size (512 px for the bundled CenterNet): a
1280 px wide frame is shrunk 2.5×, and a car 30 m away becomes 25 px, below what the model
finds reliably. The rules only judge vehicles on the calibrated lanes, stop lines and zones,
and in a wide view those often fill half the frame (sky, buildings and the far sidewalk
fill the rest). Cropping to the geometry's box, raised by how tall a vehicle standing on
it looks, enlarges every vehicle the rules can judge at no extra inference cost.

The region is fixed per site file; boxes come back in frame pixels, so nothing downstream
knows a crop happened except the footprint, which must treat the region's edges as the
image border (a box the crop cuts is cut).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import supervision as sv
from numpy.typing import NDArray

from edge.config.site import Calibration
from edge.detect.base import Detector
from edge.footprint import PinholeCamera
from edge.geometry import GroundPlane

# Tallest vehicle the region must hold (a bus or a loaded truck), metres.
VEHICLE_HEIGHT_M = 4.0
# Without a ground plane: raise the region by this share of its height instead.
NO_PLANE_RAISE = 0.25


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle of the frame in whole pixels: x0, y0 inclusive, x1, y1 exclusive."""

    x0: int
    y0: int
    x1: int
    y1: int

    @classmethod
    def frame(cls, resolution: tuple[int, int]) -> Region:
        return cls(0, 0, int(resolution[0]), int(resolution[1]))


def geometry_points(calibration: Calibration) -> list[tuple[float, float]]:
    """Every pixel point the rules judge against: lanes, stop and junction lines, solid lines, zones."""
    shapes: list[Iterable[Sequence[float]]] = [lane.polygon for lane in calibration.lanes]
    shapes += [zone.polygon for zone in calibration.zones]
    shapes += [line.line for line in calibration.solid_lines]
    for stop in calibration.stop_lines:
        shapes.append(stop.line)
        if stop.junction_line is not None:
            shapes.append(stop.junction_line)
    return [(float(p[0]), float(p[1])) for shape in shapes for p in shape]


def region_of(
    calibration: Calibration, resolution: tuple[int, int], margin_px: int = 16,
) -> Region:
    """The frame rectangle holding the geometry and any vehicle standing on it, down to the
    frame's bottom.

    With a ground plane, each geometry point on the road is raised by `VEHICLE_HEIGHT_M`
    through the camera recovered from it (exact for that camera); without one, the region
    grows upwards by `NO_PLANE_RAISE` of its height. Points past the horizon (a lane drawn to
    the vanishing point) stay as drawn: a vehicle there is a few pixels tall."""
    width, height = resolution
    points = np.asarray(geometry_points(calibration), dtype=np.float64).reshape(-1, 2)
    points = np.clip(points, 0.0, [width, height])
    extra = _raised(calibration.ground_plane(), resolution, points)
    box_lo, box_hi = points.min(axis=0), points.max(axis=0)
    if extra is None:
        box_lo[1] -= NO_PLANE_RAISE * (box_hi[1] - box_lo[1])
    elif len(extra):
        box_lo, box_hi = np.minimum(box_lo, extra.min(axis=0)), np.maximum(box_hi, extra.max(axis=0))
    x0, y0 = (int(max(0.0, v - margin_px)) for v in box_lo)
    x1 = int(min(float(width), np.ceil(box_hi[0] + margin_px)))
    # Down to the frame's bottom: a vehicle leaving the geometry towards the camera still carries
    # its plate there (its evidence box must hold it), and the nearest rows cost the least to keep.
    return Region(x0, y0, x1, int(height))


def _raised(
    plane: GroundPlane | None, resolution: tuple[int, int], points: NDArray[np.float64],
) -> NDArray[np.float64] | None:
    """Pixels of the road's geometry points lifted `VEHICLE_HEIGHT_M` off it (possibly none);
    None when there is no camera to lift them with."""
    camera = None if plane is None else PinholeCamera.from_ground(plane, resolution)
    if plane is None or camera is None:
        return None
    ground = plane.to_world(points[plane.visible(points)])
    pixels, depth = camera.project(np.c_[ground, np.full(len(ground), VEHICLE_HEIGHT_M)])
    keep = (depth > 0.1) & np.all(np.isfinite(pixels), axis=1)
    return np.asarray(pixels[keep], dtype=np.float64).reshape(-1, 2)


class RegionDetector:
    """A detector that sees only `region` of each frame and answers in frame pixels."""

    def __init__(self, inner: Detector, region: Region) -> None:
        self._inner = inner
        self.region = region

    def detect(self, image: NDArray[np.uint8]) -> sv.Detections:
        r = self.region
        if r.x0 == 0 and r.y0 == 0 and r.x1 >= image.shape[1] and r.y1 >= image.shape[0]:
            return self._inner.detect(image)
        found = self._inner.detect(np.ascontiguousarray(image[r.y0:r.y1, r.x0:r.x1]))
        if len(found) == 0:
            return found
        return sv.Detections(xyxy=sv.move_boxes(found.xyxy, np.array([r.x0, r.y0])),
                             confidence=found.confidence, class_id=found.class_id, data=dict(found.data))
