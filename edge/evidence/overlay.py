"""Annotated copies of evidence frames. Drawing lives here, never in rules; the original
frame is always kept unannotated beside its annotated copy."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.config import Calibration

LANE_COLOUR = (255, 200, 0)
STOP_COLOUR = (0, 0, 255)
BOX_COLOUR = (0, 255, 255)
STATE_COLOURS = {"red": (0, 0, 255), "amber": (0, 190, 255), "green": (0, 200, 0), "unknown": (160, 160, 160)}


def _pts(points: object) -> NDArray[np.int32]:
    return np.asarray(points, dtype=np.float64).round().astype(np.int32).reshape(-1, 1, 2)


def draw_calibration(image: NDArray[np.uint8], calibration: Calibration) -> NDArray[np.uint8]:
    """A copy of the image with lanes, directions, stop lines and lamp regions drawn."""
    out = image.copy()
    for lane in calibration.lanes:
        cv2.polylines(out, [_pts(lane.polygon)], True, LANE_COLOUR, 2, cv2.LINE_AA)
        (x1, y1), (x2, y2) = lane.direction
        cv2.arrowedLine(out, (round(x1), round(y1)), (round(x2), round(y2)), LANE_COLOUR, 2, cv2.LINE_AA)
    for stop in calibration.stop_lines:
        cv2.polylines(out, [_pts(stop.line)], False, STOP_COLOUR, 3, cv2.LINE_AA)
    for solid in calibration.solid_lines:
        cv2.polylines(out, [_pts(solid.line)], False, (255, 255, 255), 2, cv2.LINE_AA)
    for sig in calibration.signals:
        if sig.roi is not None:
            for lamp in ("red", "amber", "green"):
                x1, y1, x2, y2 = (round(v) for v in getattr(sig.roi, lamp))
                cv2.rectangle(out, (x1, y1), (x2, y2), STATE_COLOURS[lamp], 1)
    return out


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
