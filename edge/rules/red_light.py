"""red_light: the vehicle's ground point crosses its lane's stop line while the signal is red
and then goes on into the junction while it is still red (red means proceeding).

The violation is emitted at the junction-entry crossing (`edge.rules.junction`): a vehicle
that creeps over the stop line and stops before the junction has not run the light (it may
be a `stop_line` act). Where a site has neither a drawn junction line nor a ground plane, the
stop-line crossing alone decides, as before.

Pure: (track, scene, signal states, settings) → violations. Only a crossing in the lane's
legal direction counts, so a vehicle already past the line at red onset, or one reversing,
is never flagged. An `unknown` signal never produces a violation. The stop-line crossing must
still be in the track's history (`TrackerConfig.history_s`); if it is not, nothing is charged.
With a ground plane the event also records the speed at the stop-line crossing (least squares
over the `speed_window_s` before it).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edge.config.site import StopLine
from edge.core import SignalState, Track, TrackPoint, Violation
from edge.geometry import crossed_segment
from edge.rules.junction import Crossing, beyond_line, enters, junction_line, junction_source, last_crossing
from edge.rules.motion import velocity, window
from edge.rules.scene import Scene

__all__ = ["RedLightConfig", "beyond_line", "red_light"]


class RedLightConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    grace_s: float = Field(
        default=0.0, ge=0, title="Grace after red onset",
        description="Seconds after the start of red during which a stop-line crossing is not a violation "
        "(neither red_light nor stop_line).",
    )
    speed_window_s: float = Field(
        default=1.0, gt=0, title="Speed at the crossing over",
        description="Seconds of track before the stop-line crossing the recorded speed is fitted over.",
    )
    junction_distance_m: float = Field(
        default=5.0, gt=0, le=50, title="Junction begins past the stop line",
        description="Metres past the stop line, along the lane, where the junction begins for a stop line "
        "without a drawn junction_line (needs the ground-plane homography; without one the stop line "
        "alone decides). Typically the zebra crossing's width.",
    )


def _speed_kmh(points: tuple[TrackPoint, ...], scene: Scene, seconds: float) -> float | None:
    """Speed over the last `seconds` of `points`, for the record; None without a ground plane or enough points."""
    fitted = velocity(window(points, seconds), scene) if scene.metric else None
    return round(fitted.speed * 3.6, 1) if fitted is not None else None


def _entered(track: Track, stop: StopLine, scene: Scene, distance_m: float) -> Crossing | None:
    """The stop-line crossing whose act the latest step completes: the step that crosses
    the junction line after it, or, with no junction, the step over the stop line itself."""
    points = track.points
    before, now = points[-2], points[-1]
    legacy = stop.junction_line is None and scene.ground is None
    if legacy:
        if not crossed_segment(np.asarray([before.anchor]), np.asarray([now.anchor]), stop.line)[0]:
            return None
    elif not any(enters(before, now, stop, line) for lane_id in stop.lanes
                 if (line := junction_line(stop, lane_id, scene, distance_m)) is not None):
        return None  # the cheap test first: most steps of most tracks enter no junction
    crossing = last_crossing(points, stop, scene)
    if crossing is None:
        return None
    if legacy:
        return crossing if crossing.index == len(points) - 1 else None
    line = junction_line(stop, crossing.lane, scene, distance_m)
    return crossing if line is not None and enters(before, now, stop, line) else None


def red_light(
    track: Track, scene: Scene, signals: Mapping[str, SignalState], config: RedLightConfig
) -> list[Violation]:
    """Violations completed by the track's latest step (its last two points)."""
    if len(track.points) < 2:
        return []
    points, now = track.points, track.points[-1]
    found = []
    for stop in scene.calibration.stop_lines:
        signal = signals.get(stop.signal)
        if signal is None or signal.state != "red":
            continue
        crossing = _entered(track, stop, scene, config.junction_distance_m)
        if crossing is None:
            continue
        index, crossed = crossing.index, points[crossing.index]
        into_red = (crossed.captured_at - signal.since).total_seconds()
        if into_red < config.grace_s:
            continue  # crossed before this red (or inside its grace): the red did not hold all along
        found.append(Violation.of("red_light", track, (crossing.lane, stop.id), (points[index - 1], now), {
            "stop_line": stop.id,
            "signal": stop.signal,
            "signal_state": signal.state,
            "red_since": signal.since.isoformat(),
            "time_into_red_s": round(into_red, 3),
            "speed_kmh": _speed_kmh(points[:index + 1], scene, config.speed_window_s),
            "stop_line_crossed_at": crossed.captured_at.isoformat(),
            "stop_line_crossed_frame": crossed.frame_index,
            "junction": junction_source(stop, scene, config.junction_distance_m),
            "junction_entered_at": now.captured_at.isoformat(),
            "junction_time_into_red_s": round((now.captured_at - signal.since).total_seconds(), 3),
        }))
    return found
