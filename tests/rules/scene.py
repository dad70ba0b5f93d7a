"""A metric test scene: two lanes 3.5 m wide, traffic moving down the image at 20 px per metre."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from edge.config.site import Calibration
from edge.core import LightState, SignalState, Track, TrackPoint
from edge.rules.scene import Scene

T0 = datetime(2026, 1, 15, 0, 30, tzinfo=UTC)  # Thursday 07:30 in Jakarta (WIB), an odd date
PX_PER_M = 20.0
CAL = Calibration.model_validate({
    "version": 1,
    "homography": {"image_points": [(0, 0), (140, 0), (140, 400), (0, 400)],
                   "world_points_m": [(0, 0), (7, 0), (7, 20), (0, 20)]},
    "lanes": [
        {"id": "a", "polygon": [(0, 0), (70, 0), (70, 1000), (0, 1000)], "direction": ((35, 0), (35, 400)),
         "speed_limit_kmh": 50},
        {"id": "b", "polygon": [(70, 0), (140, 0), (140, 1000), (70, 1000)], "direction": ((105, 0), (105, 400))},
    ],
    "stop_lines": [{"id": "s1", "line": ((0, 300), (140, 300)), "lanes": ["a", "b"], "signal": "sig"}],
    "solid_lines": [{"id": "m1", "line": [(70, 0), (70, 300)]}],
    "signals": [{"id": "sig", "source": "controller"}],
    "zones": [{"id": "z1", "kind": "no_stopping", "polygon": [(0, 320), (140, 320), (140, 400), (0, 400)],
               "max_dwell_s": 3}],
    "restrictions": [
        {"id": "busway-b", "kind": "busway", "lanes": ["b"], "windows": ["Mon-Fri 06:00-10:00"]},
        {"id": "no-trucks-a", "kind": "class_ban", "lanes": ["a"], "allowed_classes": ["car", "motorcycle", "bus"]},
        {"id": "ganjil-genap", "kind": "odd_even", "lanes": ["a"], "windows": ["Mon-Fri 06:00-10:00"]},
    ],
})
SCENE = Scene.of(CAL)


def track(
    points: list[tuple[float, float]], dt: float = 0.1, cls: str = "car", track_id: int = 7, t0: datetime = T0
) -> Track:
    pts = tuple(
        TrackPoint(frame_index=i, captured_at=t0 + timedelta(seconds=i * dt), xyxy=(x - 20, y - 30, x + 20, y),
                   anchor=(x, y), confidence=0.6, class_name=cls)
        for i, (x, y) in enumerate(points)
    )
    return Track(id=track_id, class_name=cls, points=pts)


def line(start: tuple[float, float], end: tuple[float, float], steps: int) -> list[tuple[float, float]]:
    """`steps + 1` evenly spaced points from start to end."""
    return [(start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
            for i in range(steps + 1)]


def still(at: tuple[float, float], steps: int) -> list[tuple[float, float]]:
    return [at] * steps


def signal(state: LightState, since_s: float = -2.0, previous: LightState = "unknown",
           previous_since_s: float | None = None) -> dict[str, SignalState]:
    """The signal's state since `since_s` (seconds from T0), after `previous` since `previous_since_s`."""
    before = T0 + timedelta(seconds=previous_since_s) if previous_since_s is not None else None
    return {"sig": SignalState("sig", state, T0 + timedelta(seconds=since_s), previous, before)}


def after_red(red_since_s: float, red_ended_s: float, state: LightState = "green") -> dict[str, SignalState]:
    """The first state after a red that lasted from `red_since_s` to `red_ended_s`."""
    return signal(state, red_ended_s, "red", red_since_s)


def kmh(speed_kmh: float, seconds: float, x: float = 35.0, y0: float = 20.0) -> list[tuple[float, float]]:
    """Straight down lane a at a constant speed, sampled at 10 Hz."""
    px_per_step = speed_kmh / 3.6 * PX_PER_M * 0.1
    return [(x, y0 + px_per_step * i) for i in range(round(seconds * 10) + 1)]


def with_centre(t: Track, dx: float, dy: float) -> Track:
    """The same track with each footprint's centre `(dx, dy)` pixels from its front (the anchor)."""
    points = tuple(dataclasses.replace(p, centre=(p.anchor[0] + dx, p.anchor[1] + dy)) for p in t.points)
    return dataclasses.replace(t, points=points)
