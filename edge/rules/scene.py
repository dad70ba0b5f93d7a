"""What rules need from the calibration, derived once per site: lanes by id, the ground plane.

Rules measure in metres on the ground plane when the site has a homography (perspective makes
image pixels near the horizon worth many metres). Without one they fall back to image pixels
scaled by `fallback_px_per_m`, which is only a rough guess: metric rules (speeding) refuse to
run without a homography.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from numpy.typing import NDArray

from edge.config.site import Calibration, Lane, Restriction
from edge.config.windows import TimeWindow
from edge.core import Point
from edge.geometry import GroundPlane

FALLBACK_PX_PER_M = 20.0


@dataclass(frozen=True)
class Scene:
    calibration: Calibration
    timezone: str = "Asia/Jakarta"
    ground: GroundPlane | None = field(default=None, repr=False)
    fallback_px_per_m: float = FALLBACK_PX_PER_M
    # Lane polygons built and prepared once: rules ask "which lane?" for every track every frame.
    lane_shapes: tuple[tuple[str, shapely.Polygon], ...] = field(default=(), repr=False)
    # Restriction windows parsed once, not on every track of every frame.
    windows: dict[str, tuple[TimeWindow, ...]] = field(default_factory=dict, repr=False)
    holidays: frozenset[date] = frozenset()  # local dates; see Restriction.skips_holidays

    @classmethod
    def of(cls, calibration: Calibration, timezone: str = "Asia/Jakarta", holidays: Iterable[date] = ()) -> Scene:
        ground = calibration.ground_plane()
        shapes = tuple((lane.id, shapely.Polygon(lane.polygon)) for lane in calibration.lanes)
        shapely.prepare([shape for _, shape in shapes])
        windows = {rule.id: rule.time_windows() for rule in calibration.restrictions}
        return cls(calibration=calibration, timezone=timezone, ground=ground, lane_shapes=shapes, windows=windows,
                   holidays=frozenset(holidays))

    @property
    def metric(self) -> bool:
        return self.ground is not None

    def metres(self, points: NDArray[np.floating] | list[Point]) -> NDArray[np.float64]:
        """Image points → ground-plane metres (or the pixel fallback)."""
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if self.ground is None:
            return pts / self.fallback_px_per_m
        return self.ground.to_world(pts)

    def metres_per_px(self, points: NDArray[np.floating] | list[Point]) -> NDArray[np.float64]:
        """Ground length of one image pixel (vertical, the coarse direction) at each point.

        Near the horizon one pixel spans metres; measurements there are guesses.
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        step = self.metres(pts + np.array([0.0, 1.0])) - self.metres(pts)
        return np.asarray(np.linalg.norm(step, axis=1), dtype=np.float64)

    def lane(self, lane_id: str) -> Lane:
        return next(lane for lane in self.calibration.lanes if lane.id == lane_id)

    def lane_at(self, point: Point) -> str | None:
        """Id of the first lane whose polygon holds the image point (edge included), or None off the road."""
        x, y = point
        for lane_id, shape in self.lane_shapes:
            if shapely.intersects_xy(shape, x, y):
                return lane_id
        return None

    def lane_direction_m(self, lane_id: str) -> NDArray[np.float64]:
        """Unit vector of the lane's legal direction on the ground."""
        start, end = self.metres(list(self.lane(lane_id).direction))
        vec = end - start
        return np.asarray(vec / np.linalg.norm(vec), dtype=np.float64)

    def restriction_active(self, rule: Restriction, moment: datetime) -> bool:
        """Whether the restriction holds at an aware moment: one of its windows, in the site's zone,
        and not a public holiday if it skips those."""
        return rule.active_at(moment, self.timezone, self.holidays, self.windows.get(rule.id))

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))
