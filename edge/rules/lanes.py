"""Where a point is on the calibrated road: shared by every rule that needs a lane."""

from __future__ import annotations

import numpy as np

from edge.config import Calibration
from edge.geometry import points_in_polygon


def lane_of(point: tuple[float, float], calibration: Calibration) -> str | None:
    """Id of the first lane whose polygon holds the point, or None off the calibrated road.

    >>> from edge.config import Calibration
    >>> cal = Calibration(version=1, lanes=[{"id": "a", "polygon": [(0, 0), (10, 0), (10, 10), (0, 10)],
    ...                                      "direction": ((5, 0), (5, 10))}])
    >>> lane_of((5, 5), cal), lane_of((50, 5), cal)
    ('a', None)
    """
    pt = np.asarray([point], dtype=np.float64)
    for lane in calibration.lanes:
        if points_in_polygon(pt, lane.polygon)[0]:
            return lane.id
    return None
