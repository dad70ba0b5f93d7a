"""stop_line: a vehicle stands still with its ground point past the stop line while red
(ETLE "melanggar marka stop line"). It stopped too late; it did not necessarily run the light.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from edge.rules.motion import seconds_between, stationary_since
from edge.rules.red_light import beyond_line
from edge.rules.scene import Scene
from edge.rules.types import SignalState, Violation
from edge.track import Track


class StopLineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_stop_s: float = Field(default=1.0, gt=0, title="Standing still for", description="Seconds.")
    still_radius_m: float = Field(default=0.3, gt=0, title="Still radius",
                                  description="Metres the ground point may wander while standing.")
    beyond_px: float = Field(default=4.0, ge=0, title="Past the line by",
                             description="Pixels past the line's centre before it counts (paint width, box jitter).")


def stop_line(
    track: Track, scene: Scene, signals: Mapping[str, SignalState], config: StopLineConfig
) -> list[Violation]:
    since = stationary_since(track.points, scene, config.still_radius_m)
    if since is None:
        return []
    first, now = track.points[since], track.points[-1]
    stopped_s = seconds_between(first, now)
    if stopped_s < config.min_stop_s:
        return []
    lane_id = scene.lane_at(now.anchor)
    found = []
    for stop in scene.calibration.stop_lines:
        if lane_id not in stop.lanes:
            continue
        signal = signals.get(stop.signal)
        if signal is None or signal.state != "red":
            continue
        past = beyond_line(now.anchor, stop, lane_id, scene)
        if past <= config.beyond_px:
            continue
        found.append(Violation.of("stop_line", track, (lane_id, stop.id), (first, now), {
            "stop_line": stop.id, "signal": stop.signal, "signal_state": signal.state,
            "stopped_s": round(stopped_s, 2), "past_line_px": round(past, 1),
        }))
    return found
