"""The review picture of a calibration: the frame, the geometry, the metric grid, the problems.

One function, used by `etle-edge overlay` and by the calibration page's server-side preview,
so what a change ticket shows is what the technician saw.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.config.checks import Problem
from edge.config.site import Calibration, SiteFile
from edge.geometry import GroundPlane
from edge.overlay import draw_calibration

PROBLEM_COLOUR = (40, 40, 255)
MAX_LISTED = 8


def ground_plane_or_none(calibration: Calibration) -> GroundPlane | None:
    """The fitted plane, or None when there is none or it is degenerate (a problem says so)."""
    try:
        return calibration.ground_plane()
    except ValueError:
        return None


def fit_to_site(image: NDArray[np.uint8], site: SiteFile) -> NDArray[np.uint8]:
    """The frame at the site file's resolution, the frame every coordinate is in."""
    width, height = site.camera.resolution
    if image.shape[1] == width and image.shape[0] == height:
        return image
    return np.asarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8)


def review_image(image: NDArray[np.uint8], site: SiteFile, problems: Sequence[Problem]) -> NDArray[np.uint8]:
    """Geometry with ids, ground points and grid over the frame; problems listed at the bottom."""
    frame = fit_to_site(image, site)
    out = draw_calibration(frame, site.calibration, labels=True, plane=ground_plane_or_none(site.calibration))
    if not problems:
        return out
    lines = [f"{len(problems)} problem(s):", *(str(p)[:150] for p in problems[:MAX_LISTED])]
    if len(problems) > MAX_LISTED:
        lines.append(f"... and {len(problems) - MAX_LISTED} more (etle-edge check-site lists them all)")
    top = out.shape[0] - 10 - 22 * len(lines)
    cv2.rectangle(out, (0, top - 8), (out.shape[1], out.shape[0]), (0, 0, 0), -1)
    for i, text in enumerate(lines):
        cv2.putText(out, text, (10, top + 14 + 22 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.5, PROBLEM_COLOUR, 1, cv2.LINE_AA)
    return out
