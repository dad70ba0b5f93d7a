"""What red_light and stop_line share: where a track crossed a stop line, and where the junction
behind that stop line begins.

Red means proceeding (DESIGN.md, rule semantics): crossing the stop line on red is running the
red only once the vehicle goes on into the junction. The junction begins at the stop line's
drawn `junction_line`; without one, where the site has a ground plane, `distance_m` past the stop
line along the lane's legal direction; without either, nowhere (None): then the stop-line
crossing alone decides, as single-line cameras do.

Pure functions of the track's history: a crossing that has dropped out of the history (longer
ago than the tracker keeps, `TrackerConfig.history_s`) is not found, and what is not found
is not charged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edge.config.site import StopLine
from edge.core import Point, TrackPoint
from edge.geometry import crossed_segment, side_of_line
from edge.rules.scene import Scene

Segment = tuple[Point, Point]


@dataclass(frozen=True, slots=True)
class Crossing:
    """A forward crossing of a stop line: `index` of the first point past it, in `lane`."""

    index: int
    lane: str


def beyond_line(point: Point, stop: StopLine, lane_id: str, scene: Scene) -> float:
    """Signed pixel distance of an image point past the stop line, in its lane's direction
    (> 0 past the line, < 0 still before it)."""
    approach = side_of_line(np.asarray([scene.lane(lane_id).direction[0]]), stop.line)[0]
    return float(-np.sign(approach) * side_of_line(np.asarray([point]), stop.line)[0])


def last_crossing(points: tuple[TrackPoint, ...], stop: StopLine, scene: Scene) -> Crossing | None:
    """The track's latest crossing of the stop line in its lane's legal direction, from a lane the
    stop line governs; None if its history holds none (a reversing vehicle never crosses forward)."""
    if len(points) < 2:
        return None
    xy = np.asarray([p.anchor for p in points], dtype=np.float64)
    for k in np.flatnonzero(crossed_segment(xy[:-1], xy[1:], stop.line))[::-1]:
        before, after = points[int(k)], points[int(k) + 1]
        lane_id = scene.lane_at(before.anchor) or scene.lane_at(after.anchor)
        if lane_id is None or lane_id not in stop.lanes:
            continue
        if beyond_line(before.anchor, stop, lane_id, scene) < 0:
            return Crossing(index=int(k) + 1, lane=lane_id)
    return None


def junction_line(stop: StopLine, lane_id: str, scene: Scene, distance_m: float) -> Segment | None:
    """Where the junction behind the stop line begins, for a vehicle of `lane_id`: the drawn line,
    else the stop line moved `distance_m` along the lane on the ground plane, else None."""
    if stop.junction_line is not None:
        return stop.junction_line
    if scene.ground is None:
        return None
    ends = scene.metres(list(stop.line)) + distance_m * scene.lane_direction_m(lane_id)
    (ax, ay), (bx, by) = scene.ground.to_image(ends)
    return (float(ax), float(ay)), (float(bx), float(by))


def junction_source(stop: StopLine, scene: Scene, distance_m: float) -> str:
    """How the junction was placed, for the event's details."""
    if stop.junction_line is not None:
        return "junction_line"
    return f"{distance_m:g} m past the stop line" if scene.ground is not None else "none: stop line alone"


def past_junction(point: Point, stop: StopLine, line: Segment) -> float:
    """Signed pixel distance of an image point past the junction line (> 0 inside the junction),
    measured away from the stop line, which lies before it."""
    (ax, ay), (bx, by) = stop.line
    stop_side = side_of_line(np.asarray([[(ax + bx) / 2, (ay + by) / 2]]), line)[0]
    return float(-np.sign(stop_side) * side_of_line(np.asarray([point]), line)[0])


def enters(before: TrackPoint, now: TrackPoint, stop: StopLine, line: Segment) -> bool:
    """Whether the step before→now crosses the junction line into the junction."""
    crossed = crossed_segment(np.asarray([before.anchor]), np.asarray([now.anchor]), line)[0]
    return bool(crossed) and past_junction(before.anchor, stop, line) < 0
