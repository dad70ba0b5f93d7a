"""solid_line_crossing: the ground point moves from one side of a solid line (marka utuh) to
the other. Hysteresis: a side only counts once the point is `margin_m` clear of the line, so
wheels riding the paint and box jitter never make a crossing. Dashed separators are not in
`solid_lines`, so changing lanes over them is never a violation. A side change faster than any
vehicle changes lanes is the track jumping to another vehicle (two vehicles side by side boxed
as one for a frame, then the track follows the other), not a crossing.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import shapely
from pydantic import BaseModel, ConfigDict, Field

from edge.core import SignalState, Track, Violation
from edge.rules.motion import ground, seconds_between, window
from edge.rules.scene import Scene


class SolidLineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    margin_m: float = Field(default=0.3, gt=0, title="Clearance", description="Metres clear of the line on each side.")
    window_s: float = Field(
        default=3.0, gt=0, title="Look-back",
        description="Seconds of the track searched for a side change; the rule runs every frame, so a "
        "crossing is seen long before it leaves this window.",
    )
    max_across_mps: float = Field(
        default=10.0, gt=0, title="Fastest sideways motion",
        description="Metres per second across the line between the last clear point on one side and the "
        "first on the other. Lane changes over a solid line measured 2.1-7.9 m/s between those two points "
        "(tune split: 2-5 m/s of motion plus box jitter over 0.15-0.9 s); a track that jumped from one "
        "vehicle to the one beside it 11.6 (tune 120: a truck charged for its neighbour's box).",
    )


def _signed_distances(line_m: shapely.LineString, xy: np.ndarray) -> np.ndarray:
    """Signed distance of each point to the polyline: + left of its nearest segment, − right.

    All points against all segments at once (it runs on every track's window every frame): the
    nearest segment decides the side, the later one where two are as near (a shared vertex), as a
    walk along the line would find it.

    >>> _signed_distances(shapely.LineString([(0, 0), (10, 0)]), np.array([[5.0, 2.0], [5.0, -1.0], [12.0, 0.0]]))
    array([ 2., -1.,  0.])
    """
    coords = np.asarray(line_m.coords, dtype=np.float64)
    start, step = coords[:-1], np.diff(coords, axis=0)  # (S, 2)
    rel = np.asarray(xy, dtype=np.float64).reshape(-1, 1, 2) - start  # (N, S, 2)
    along = np.clip(np.sum(rel * step, axis=2) / np.maximum(np.sum(step**2, axis=1), 1e-12), 0.0, 1.0)
    dist = np.linalg.norm(rel - along[..., None] * step, axis=2)  # (N, S)
    tied = dist <= dist.min(axis=1, keepdims=True) + 1e-9  # a shared vertex is as near to both, up to rounding
    seg = dist.shape[1] - 1 - np.argmax(tied[:, ::-1], axis=1)  # the later of equally near segments
    rows = np.arange(len(dist))
    side = np.sign(step[seg, 0] * rel[rows, seg, 1] - step[seg, 1] * rel[rows, seg, 0])
    return np.asarray(side * dist[rows, seg], dtype=np.float64)


def solid_line(
    track: Track, scene: Scene, signals: Mapping[str, SignalState], config: SolidLineConfig
) -> list[Violation]:
    del signals  # markings apply whatever the light
    if len(track.points) < 2 or not scene.calibration.solid_lines:
        return []
    points = window(track.points, config.window_s)
    xy = ground(points, scene)
    found = []
    for solid in scene.calibration.solid_lines:
        line_m = shapely.LineString(scene.metres(solid.line))
        dist = _signed_distances(line_m, xy)
        clear = np.flatnonzero(np.abs(dist) >= config.margin_m)
        flips = np.flatnonzero(np.sign(dist[clear[1:]]) != np.sign(dist[clear[:-1]]))
        if len(flips) == 0:
            continue
        # The latest side change between two clear points; the engine reports it once per vehicle.
        before, now = int(clear[flips[-1]]), int(clear[flips[-1] + 1])
        if not shapely.LineString(xy[before : now + 1]).intersects(line_m):
            continue  # changed side around the line's end, not across it
        across = abs(dist[now] - dist[before]) / max(seconds_between(points[before], points[now]), 1e-6)
        if across > config.max_across_mps:
            continue  # the track jumped to another vehicle
        lane_id = scene.lane_at(points[now].anchor) or scene.lane_at(points[before].anchor) or ""
        found.append(Violation.of("solid_line_crossing", track, (lane_id, solid.id),
                                  (points[before], points[now]),
                                  {"solid_line": solid.id, "clearance_m": config.margin_m}))
    return found
