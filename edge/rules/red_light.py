"""red_light: the vehicle's ground point crosses its lane's stop line while the signal is red.

Pure: (track, scene, signal states, settings) → violations. Only a crossing in the lane's
legal direction counts, so a vehicle already past the line at red onset, or one reversing,
is never flagged. An `unknown` signal never produces a violation. With a ground plane the
event also records the speed at the crossing (least squares over the last `speed_window_s`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edge.config import StopLine
from edge.geometry import crossed_segment, side_of_line
from edge.rules.motion import velocity, window
from edge.rules.scene import Scene
from edge.rules.types import SignalState, Violation
from edge.track import Track


class RedLightConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    grace_s: float = Field(
        default=0.0, ge=0, title="Grace after red onset",
        description="Seconds after the start of red during which a crossing is not a violation.",
    )
    speed_window_s: float = Field(
        default=1.0, gt=0, title="Speed at the crossing over",
        description="Seconds of track before the crossing the recorded speed is fitted over.",
    )


def _speed_kmh(track: Track, scene: Scene, seconds: float) -> float | None:
    """Speed over the last `seconds`, for the record; None without a ground plane or enough points."""
    fitted = velocity(window(track.points, seconds), scene) if scene.metric else None
    return round(fitted.speed * 3.6, 1) if fitted is not None else None


def beyond_line(point: tuple[float, float], stop: StopLine, lane_id: str, scene: Scene) -> float:
    """Signed pixel distance of an image point past the stop line, in its lane's direction
    (> 0 past the line, < 0 still before it)."""
    approach = side_of_line(np.asarray([scene.lane(lane_id).direction[0]]), stop.line)[0]
    return float(-np.sign(approach) * side_of_line(np.asarray([point]), stop.line)[0])


def red_light(
    track: Track, scene: Scene, signals: Mapping[str, SignalState], config: RedLightConfig
) -> list[Violation]:
    """Violations made by the track's latest step (its last two points)."""
    if len(track.points) < 2:
        return []
    before, now = track.points[-2], track.points[-1]
    start, end = np.asarray([before.anchor]), np.asarray([now.anchor])
    found = []
    for stop in scene.calibration.stop_lines:
        if not crossed_segment(start, end, stop.line)[0]:
            continue
        lane_id = scene.lane_at(before.anchor) or scene.lane_at(now.anchor)
        if lane_id is None or lane_id not in stop.lanes:
            continue
        if beyond_line(before.anchor, stop, lane_id, scene) >= 0:
            continue  # crossing against the lane's direction: not entering the intersection
        signal = signals.get(stop.signal)
        if signal is None or signal.state != "red":
            continue
        into_red = (now.captured_at - signal.since).total_seconds()
        if into_red < config.grace_s:
            continue
        found.append(Violation.of("red_light", track, (lane_id, stop.id), (before, now), {
            "stop_line": stop.id,
            "signal": stop.signal,
            "signal_state": signal.state,
            "red_since": signal.since.isoformat(),
            "time_into_red_s": round(into_red, 3),
            "speed_kmh": _speed_kmh(track, scene, config.speed_window_s),
        }))
    return found
