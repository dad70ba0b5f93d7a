"""stop_line: a vehicle crossed the stop line on red, then stood still past it and before the
junction, and did not go on into the junction during that red (ETLE "melanggar marka stop
line"). It stopped too late; it did not run the light.

Decided without holding state, once the red is over: the signal state carries the state before
it (`SignalState.previous`), so on the first frames after a red the rule sees the whole red
interval and judges what the track's history shows of it. A creeper who then runs the red is
`red_light` only (it entered the junction during the red, so it is not before the junction
now). A vehicle that crossed on green or amber and stands past the line (a queue) is not
charged, nor is one whose crossing has dropped out of the track's history (a red longer than
`TrackerConfig.history_s`): unsure is not guilty. Without a junction (no junction line, no
ground plane) `red_light` charges the crossing itself and the engine counts the act once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edge.config.site import StopLine
from edge.core import SignalState, Track, TrackPoint, Violation
from edge.rules.junction import beyond_line, junction_line, junction_source, last_crossing, past_junction
from edge.rules.motion import ground, seconds_between
from edge.rules.red_light import RedLightConfig
from edge.rules.scene import Scene


class StopLineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_stop_s: float = Field(default=1.0, gt=0, title="Standing still for", description="Seconds.")
    still_radius_m: float = Field(default=0.3, gt=0, title="Still radius",
                                  description="Metres the ground point may wander while standing.")
    beyond_px: float = Field(default=4.0, ge=0, title="Past the line by",
                             description="Pixels past the line's centre before it counts (paint width, box jitter).")
    decide_within_s: float = Field(
        default=2.0, gt=0, le=10, title="Decided within",
        description="Seconds after the red's end during which a vehicle is judged: the first frames of the "
        "next state (a vision signal's debounce reports the change a few frames late); later frames judge "
        "nothing new.",
    )


def _longest_stand(points: tuple[TrackPoint, ...], scene: Scene, radius_m: float) -> tuple[float, int]:
    """Longest time the points stay within `radius_m` of one position, and the index that run ends at."""
    if len(points) < 2:
        return 0.0, len(points) - 1
    xy = ground(points, scene)
    near = np.linalg.norm(xy[:, None, :] - xy[None, :, :], axis=2) <= radius_m
    best, end = 0.0, len(points) - 1
    for j in range(len(points)):
        far = np.flatnonzero(~near[j, :j + 1])
        start = int(far[-1]) + 1 if far.size else 0
        stood = seconds_between(points[start], points[j])
        if stood > best:
            best, end = stood, j
    return best, end


def _red_interval(signal: SignalState, now: datetime, within_s: float) -> tuple[datetime, datetime] | None:
    """The red that has just ended, if the current state follows one and began at most `within_s` ago."""
    if signal.state == "red" or signal.previous != "red" or signal.previous_since is None:
        return None
    if (now - signal.since).total_seconds() > within_s:
        return None
    return signal.previous_since, signal.since


def _judge(track: Track, stop: StopLine, scene: Scene, signal: SignalState, config: StopLineConfig,
           red: RedLightConfig) -> Violation | None:
    interval = _red_interval(signal, track.last.captured_at, config.decide_within_s)
    crossing = last_crossing(track.points, stop, scene) if interval is not None else None
    if interval is None or crossing is None:
        return None
    red_start, red_end = interval
    points = track.points
    crossed = points[crossing.index]
    into_red = (crossed.captured_at - red_start).total_seconds()
    if into_red < red.grace_s or crossed.captured_at >= red_end:
        return None  # crossed on green or amber (a queue), inside the grace, or after the red
    line = junction_line(stop, crossing.lane, scene, red.junction_distance_m)
    after = points[crossing.index:]
    if line is not None and any(past_junction(p.anchor, stop, line) >= 0 for p in after):
        return None  # it went on into the junction: red_light's act, not this one
    during = tuple(p for p in after if p.captured_at < red_end)
    stood_s, at = _longest_stand(during, scene, config.still_radius_m)
    if stood_s < config.min_stop_s:
        return None
    past = beyond_line(during[at].anchor, stop, crossing.lane, scene)
    if past <= config.beyond_px:
        return None
    return Violation.of("stop_line", track, (crossing.lane, stop.id), (points[crossing.index - 1], points[-1]), {
        "stop_line": stop.id, "signal": stop.signal, "signal_state": "red",
        "red_since": red_start.isoformat(), "red_ended": red_end.isoformat(),
        "stop_line_crossed_frame": crossed.frame_index,
        "time_into_red_s": round(into_red, 3), "stopped_s": round(stood_s, 2), "past_line_px": round(past, 1),
        "junction": junction_source(stop, scene, red.junction_distance_m),
    })


def stop_line(
    track: Track, scene: Scene, signals: Mapping[str, SignalState], config: StopLineConfig,
    red: RedLightConfig | None = None,
) -> list[Violation]:
    """Violations judged at the end of a red; `red`: the red-light settings (grace, junction
    distance), which both rules must read alike (the engine passes its own)."""
    if len(track.points) < 2:
        return []
    red = red if red is not None else RedLightConfig()
    found = []
    for stop in scene.calibration.stop_lines:
        signal = signals.get(stop.signal)
        if signal is None:
            continue
        violation = _judge(track, stop, scene, signal, config, red)
        if violation is not None:
            found.append(violation)
    return found
