"""Annotated copies of evidence frames. Drawing lives here, never in rules; the original
frame is always kept unannotated beside its annotated copy."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.config.site import Calibration
from edge.geometry import GroundPlane

LANE_COLOUR = (255, 200, 0)
STOP_COLOUR = (0, 0, 255)
BOX_COLOUR = (0, 255, 255)
SOLID_COLOUR = (255, 255, 255)
ZONE_COLOUR = (255, 0, 255)
GRID_COLOUR = (80, 230, 80)
GROUND_POINT_COLOUR = (0, 220, 255)
STATE_COLOURS = {"red": (0, 0, 255), "amber": (0, 190, 255), "green": (0, 200, 0), "unknown": (160, 160, 160)}


def _pts(points: object) -> NDArray[np.int32]:
    return np.asarray(points, dtype=np.float64).round().astype(np.int32).reshape(-1, 1, 2)


def _label(out: NDArray[np.uint8], text: str, at: tuple[float, float], colour: tuple[int, int, int]) -> None:
    # Dark outline first so the label reads on asphalt and on sky alike.
    org = (round(at[0]) + 4, round(at[1]) - 4)
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)


def draw_ground_grid(image: NDArray[np.uint8], plane: GroundPlane) -> NDArray[np.uint8]:
    """A copy with the metric grid of the ground plane, half transparent so the road shows."""
    height, width = image.shape[:2]
    layer = image.copy()
    for (x1, y1), (x2, y2) in plane.grid((width, height)):
        cv2.line(layer, (round(x1), round(y1)), (round(x2), round(y2)), GRID_COLOUR, 1, cv2.LINE_AA)
    return np.asarray(cv2.addWeighted(layer, 0.6, image, 0.4, 0.0), dtype=np.uint8)


def draw_calibration(
    image: NDArray[np.uint8], calibration: Calibration, *, labels: bool = False, plane: GroundPlane | None = None
) -> NDArray[np.uint8]:
    """A copy of the image with the calibrated geometry drawn.

    Evidence copies get the bare geometry; a calibration review (`etle-edge overlay`, the
    calibration page's preview) adds ids, ground points and, given a `plane`, its metric grid.
    """
    out = draw_ground_grid(image, plane) if plane is not None else image.copy()
    for lane in calibration.lanes:
        cv2.polylines(out, [_pts(lane.polygon)], True, LANE_COLOUR, 2, cv2.LINE_AA)
        (x1, y1), (x2, y2) = lane.direction
        cv2.arrowedLine(out, (round(x1), round(y1)), (round(x2), round(y2)), LANE_COLOUR, 2, cv2.LINE_AA)
    for zone in calibration.zones:
        cv2.polylines(out, [_pts(zone.polygon)], True, ZONE_COLOUR, 2, cv2.LINE_AA)
    for stop in calibration.stop_lines:
        cv2.polylines(out, [_pts(stop.line)], False, STOP_COLOUR, 3, cv2.LINE_AA)
        if stop.junction_line is not None:  # where the junction begins (red means proceeding past it)
            cv2.polylines(out, [_pts(stop.junction_line)], False, STOP_COLOUR, 1, cv2.LINE_AA)
    for solid in calibration.solid_lines:
        cv2.polylines(out, [_pts(solid.line)], False, SOLID_COLOUR, 2, cv2.LINE_AA)
    for sig in calibration.signals:
        if sig.roi is not None:
            for lamp in ("red", "amber", "green"):
                x1, y1, x2, y2 = (round(v) for v in getattr(sig.roi, lamp))
                cv2.rectangle(out, (x1, y1), (x2, y2), STATE_COLOURS[lamp], 1)
    if labels:
        _draw_labels(out, calibration)
    return out


def _draw_labels(out: NDArray[np.uint8], calibration: Calibration) -> None:
    for lane in calibration.lanes:
        _label(out, lane.id, lane.direction[0], LANE_COLOUR)
    for zone in calibration.zones:
        _label(out, f"{zone.id} ({zone.max_dwell_s:g} s)", zone.polygon[0], ZONE_COLOUR)
    for stop in calibration.stop_lines:
        (ax, ay), (bx, by) = stop.line  # labelled mid-line: its ends are often ground points
        _label(out, f"{stop.id} -> {stop.signal}", ((ax + bx) / 2, (ay + by) / 2), STOP_COLOUR)
    for solid in calibration.solid_lines:
        _label(out, solid.id, solid.line[0], SOLID_COLOUR)
    for sig in calibration.signals:
        if sig.roi is not None:
            _label(out, sig.id, (sig.roi.green[0], sig.roi.green[3] + 16), STATE_COLOURS["green"])
    hom = calibration.homography
    if hom is not None:
        for k, ((x, y), (wx, wy)) in enumerate(zip(hom.image_points, hom.world_points_m, strict=False)):
            cv2.circle(out, (round(x), round(y)), 5, GROUND_POINT_COLOUR, 2, cv2.LINE_AA)
            _label(out, f"P{k} ({wx:g}, {wy:g}) m", (x, y), GROUND_POINT_COLOUR)


def annotate_violation(
    image: NDArray[np.uint8],
    calibration: Calibration,
    box: tuple[float, float, float, float],
    caption: list[str],
    signal_state: str,
) -> NDArray[np.uint8]:
    """Calibration, the offending vehicle's box and a caption block (time, kind, signal)."""
    out = draw_calibration(image, calibration)
    x1, y1, x2, y2 = (round(v) for v in box)
    cv2.rectangle(out, (x1, y1), (x2, y2), BOX_COLOUR, 3)
    line_h = 26
    cv2.rectangle(out, (0, 0), (620, 12 + line_h * len(caption)), (0, 0, 0), -1)
    for i, text in enumerate(caption):
        colour = STATE_COLOURS.get(signal_state, (255, 255, 255)) if i == len(caption) - 1 else (255, 255, 255)
        cv2.putText(out, text, (10, 30 + i * line_h), cv2.FONT_HERSHEY_SIMPLEX, 0.7, colour, 2, cv2.LINE_AA)
    return out
