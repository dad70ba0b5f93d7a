"""red_light as a table: a track's last step and the signal's state → expected violations.

This scene has no ground plane and no junction line: the stop-line crossing alone decides (the
two-line semantics are in test_crossing.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from edge.config.site import Calibration
from edge.core import LightState, SignalState, Track, TrackPoint
from edge.rules.red_light import RedLightConfig, red_light
from edge.rules.scene import Scene
from tests.rules.scene import SCENE as METRIC
from tests.rules.scene import line
from tests.rules.scene import track as mtrack

T0 = datetime(2026, 1, 15, 0, 30, tzinfo=UTC)
CAL = Calibration.model_validate({
    "version": 1,
    "lanes": [
        {"id": "in", "polygon": [(0, 0), (100, 0), (100, 400), (0, 400)], "direction": ((50, 0), (50, 400))},
        {"id": "other", "polygon": [(200, 0), (300, 0), (300, 400), (200, 400)],
         "direction": ((250, 0), (250, 400))},
    ],
    "stop_lines": [{"id": "s1", "line": ((0, 200), (100, 200)), "lanes": ["in"], "signal": "sig"}],
    "signals": [{"id": "sig", "source": "controller"}],
})
SCENE = Scene.of(CAL)


def track(*ys: float, x: float = 50.0, dt: float = 0.1) -> Track:
    points = tuple(
        TrackPoint(frame_index=i, captured_at=T0 + timedelta(seconds=i * dt), xyxy=(x - 20, y - 30, x + 20, y),
                   anchor=(x, y), confidence=0.6, class_name="car")
        for i, y in enumerate(ys)
    )
    return Track(id=7, class_name="car", points=points)


def signal(state: LightState, since_s: float = -2.0) -> dict[str, SignalState]:
    return {"sig": SignalState("sig", state, T0 + timedelta(seconds=since_s))}


@pytest.mark.parametrize(
    ("name", "trk", "signals", "config", "expected"),
    [
        ("runs the red", track(190, 210), signal("red"), RedLightConfig(), ("red_light", "in", "s1", 0, 1)),
        ("passes on green", track(190, 210), signal("green"), RedLightConfig(), None),
        ("passes on amber", track(190, 210), signal("amber"), RedLightConfig(), None),
        ("unknown signal never flags", track(190, 210), signal("unknown"), RedLightConfig(), None),
        ("no signal state at all", track(190, 210), {}, RedLightConfig(), None),
        ("stops before the line", track(180, 195, 195), signal("red"), RedLightConfig(), None),
        ("already past at red onset", track(210, 230), signal("red"), RedLightConfig(), None),
        ("reversing over the line", track(210, 190), signal("red"), RedLightConfig(), None),
        ("lane not governed by the line", track(190, 210, x=250), signal("red"), RedLightConfig(), None),
        ("inside the grace period", track(190, 210), signal("red", since_s=0.0), RedLightConfig(grace_s=0.5), None),
        ("after the grace period", track(190, 210), signal("red", since_s=-1.0), RedLightConfig(grace_s=0.5),
         ("red_light", "in", "s1", 0, 1)),
        ("one point only", track(210), signal("red"), RedLightConfig(), None),
    ],
)
def test_red_light_table(
    name: str, trk: Track, signals: dict[str, SignalState], config: RedLightConfig,
    expected: tuple[str, str, str, int, int] | None,
) -> None:
    """`expected`: (kind, lane, stop line, last frame before the line, first frame past it), or None."""
    found = [(v.kind, v.lane, v.feature, v.before_frame, v.frame_index) for v in red_light(trk, SCENE, signals, config)]
    assert found == ([expected] if expected is not None else []), name


def test_violation_records_time_into_red_and_frames() -> None:
    (v,) = red_light(track(150, 190, 210), SCENE, signal("red", since_s=-1.5), RedLightConfig())
    assert (v.kind, v.lane, v.feature, v.track_id) == ("red_light", "in", "s1", 7)
    assert v.frame_index == 2 and v.before_frame == 1
    assert v.details["time_into_red_s"] == pytest.approx(1.7)
    assert v.detected_at == T0 + timedelta(seconds=0.2)
    assert v.details["speed_kmh"] is None  # no ground plane: no speed


def test_violation_records_the_speed_at_the_crossing_on_a_ground_plane() -> None:
    """The metric scene is 20 px per metre: 12 px per 0.1 s is 6 m/s, 21.6 km/h. The violation is
    emitted where it enters the junction (5 m past the stop line, y 400, point 14); the speed is the
    speed at the stop line (point 6, y 308)."""
    crossing = mtrack(line((35, 236), (35, 404), 14))
    (v,) = red_light(crossing, METRIC, {"sig": SignalState("sig", "red", T0 - timedelta(seconds=2))},
                     RedLightConfig())
    assert v.details["speed_kmh"] == pytest.approx(21.6, abs=0.05)
    assert (v.frame_index, v.before_frame) == (14, 5)
