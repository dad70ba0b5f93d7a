"""red_light and stop_line as one act: tracks replayed frame by frame through the engine under a
signal timeline, asserting what is charged (kind, lane, stop line, frame of the act, frame before it).

The metric test scene: traffic moves down the image at 20 px per metre (a 10 px step per 0.1 s
is 5 m/s); the stop line s1 is at y 300, so the junction begins 5 m past it (junction_distance_m)
at y 400, unless a junction_line is drawn.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from edge.config.site import Calibration
from edge.core import LightState, SignalState, Track, TrackUpdate
from edge.rules.config import RulesConfig
from edge.rules.engine import RuleEngine
from edge.rules.red_light import RedLightConfig, red_light
from edge.rules.scene import Scene
from edge.rules.stop_line import StopLineConfig, stop_line
from tests.rules.scene import CAL, SCENE, T0, line, still, track

Phases = list[tuple[float, LightState]]  # (seconds from the track's first point, state from then on)
Charge = tuple[str, str, str, int, int]  # kind, lane, stop line, frame of the act, frame before it

FLAT = Scene.of(Calibration.model_validate({**CAL.model_dump(), "homography": None}))
_DRAWN = [s.model_copy(update={"junction_line": ((0.0, 340.0), (140.0, 340.0))}) for s in CAL.stop_lines]
DRAWN = Scene.of(CAL.model_copy(update={"stop_lines": _DRAWN}))

RED: Phases = [(-2.0, "red")]
RED_THEN_GREEN: Phases = [(-2.0, "red"), (4.0, "green")]
AMBER_AT_CROSSING: Phases = [(-3.0, "green"), (0.0, "amber"), (1.0, "red"), (5.0, "green")]
GREEN_AT_CROSSING: Phases = [(-3.0, "green"), (1.0, "amber"), (2.0, "red"), (6.0, "green")]
RED_FROM_0_3: Phases = [(-3.0, "green"), (0.3, "red"), (5.0, "green")]  # the crossing (0.5 s) is 0.2 s into red

# Down lane a, crossing the stop line (y 300) at point 5 (0.5 s); the point before it is 4.
APPROACH = line((35, 250), (35, 320), 7)
CREEPER = APPROACH + still((35, 320), 50)  # stops 1 m past the line, 4 m before the junction
CREEPER_RUNS = APPROACH + still((35, 320), 20) + line((35, 330), (35, 430), 10)  # y 400 at point 35
RUNNER = line((35, 250), (35, 450), 20)  # y 400 (junction) at point 15, y 340 (drawn junction) at point 9


def signals_at(phases: Phases, seconds: float) -> dict[str, SignalState]:
    """The signal state a reader reports at `seconds`: the current phase, and the one before it."""
    start = T0 + timedelta(seconds=-60)
    state = SignalState("sig", "unknown", start)
    for at, light in phases:
        if at <= seconds + 1e-9:
            state = state.after(light, T0 + timedelta(seconds=at))
    return {"sig": state}


def replay(points: list[tuple[float, float]], phases: Phases, scene: Scene = SCENE,
           config: RulesConfig | None = None) -> list[Charge]:
    """Feed the engine the track as it grows, one frame at a time; the light-rule charges it makes."""
    engine = RuleEngine(scene, config or RulesConfig())
    whole = track(points)
    charges = []
    for n in range(1, len(points) + 1):
        grown = Track(id=whole.id, class_name=whole.class_name, points=whole.points[:n])
        signals = signals_at(phases, (grown.last.captured_at - T0).total_seconds())
        for v in engine.evaluate(TrackUpdate(active=(grown,), ended=()), signals):
            if v.kind in ("red_light", "stop_line"):
                charges.append((v.kind, v.lane, v.feature, v.frame_index, v.before_frame))
    return charges


GRACE = RulesConfig(red_light=RedLightConfig(grace_s=0.5))
CASES: list[tuple[str, list[tuple[float, float]], Phases, Scene, RulesConfig, list[Charge]]] = [
    ("creeper stops before the junction: stop_line, at green onset", CREEPER, RED_THEN_GREEN, SCENE, RulesConfig(),
     [("stop_line", "a", "s1", 40, 4)]),
    ("creeper still standing, red not over: nothing yet", CREEPER, RED, SCENE, RulesConfig(), []),
    ("creeper then runs the red: red_light only, at the junction", CREEPER_RUNS, RED_THEN_GREEN, SCENE, RulesConfig(),
     [("red_light", "a", "s1", 35, 4)]),
    ("runner, junction 5 m past the line (ground plane)", RUNNER, RED, SCENE, RulesConfig(),
     [("red_light", "a", "s1", 15, 4)]),
    ("runner, junction_distance_m 2 m", RUNNER, RED, SCENE,
     RulesConfig(red_light=RedLightConfig(junction_distance_m=2)), [("red_light", "a", "s1", 9, 4)]),
    ("runner, drawn junction line at y 340", RUNNER, RED, DRAWN, RulesConfig(), [("red_light", "a", "s1", 9, 4)]),
    ("creeper stopping before a drawn junction line", CREEPER, RED_THEN_GREEN, DRAWN, RulesConfig(),
     [("stop_line", "a", "s1", 40, 4)]),
    ("stops past a drawn junction line: it entered the junction", APPROACH + line((35, 330), (35, 350), 2)
     + still((35, 350), 40), RED_THEN_GREEN, DRAWN, RulesConfig(), [("red_light", "a", "s1", 9, 4)]),
    ("no junction line, no ground plane: the crossing alone (legacy)", RUNNER, RED, FLAT, RulesConfig(),
     [("red_light", "a", "s1", 5, 4)]),
    ("no junction, no ground plane, creeper: red_light at the crossing, once", CREEPER, RED_THEN_GREEN, FLAT,
     RulesConfig(), [("red_light", "a", "s1", 5, 4)]),
    ("crosses on amber, stands: nothing", CREEPER, AMBER_AT_CROSSING, SCENE, RulesConfig(), []),
    ("crosses on amber, drives into the junction on red: nothing", RUNNER, AMBER_AT_CROSSING, SCENE, RulesConfig(),
     []),
    ("queue past the line after crossing on green: nothing", CREEPER, GREEN_AT_CROSSING, SCENE, RulesConfig(), []),
    ("runner inside the grace: nothing", RUNNER, RED_FROM_0_3, SCENE, GRACE, []),
    ("creeper inside the grace: nothing", CREEPER, RED_FROM_0_3, SCENE, GRACE, []),
    ("runner after the grace", RUNNER, RED_FROM_0_3, SCENE, RulesConfig(red_light=RedLightConfig(grace_s=0.1)),
     [("red_light", "a", "s1", 15, 4)]),
    ("stops before the line: nothing", line((35, 250), (35, 294), 5) + still((35, 294), 50), RED_THEN_GREEN, SCENE,
     RulesConfig(), []),
    ("crossing no longer in the history (a red longer than history_s): nothing", still((35, 320), 50)
     + line((35, 330), (35, 430), 10), RED_THEN_GREEN, SCENE, RulesConfig(), []),
    ("reversing over the line: nothing", line((35, 330), (35, 280), 5) + still((35, 280), 50), RED_THEN_GREEN,
     SCENE, RulesConfig(), []),
    ("signal unknown: nothing", RUNNER, [(-2.0, "unknown")], SCENE, RulesConfig(), []),
    ("empty track", [], RED_THEN_GREEN, SCENE, RulesConfig(), []),
    ("single point", [(35, 320)], RED_THEN_GREEN, SCENE, RulesConfig(), []),
]


@pytest.mark.parametrize(("name", "points", "phases", "scene", "config", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_one_act_at_the_stop_line(name: str, points: list[tuple[float, float]], phases: Phases, scene: Scene,
                                  config: RulesConfig, expected: list[Charge]) -> None:
    assert replay(points, phases, scene, config) == expected, name


def test_stop_line_is_decided_on_the_first_frame_after_the_red() -> None:
    """Pure: the rule itself, on the creeper as seen on the last red frame and the first green one."""
    last_red, first_green = track(CREEPER[:40]), track(CREEPER[:41])
    assert stop_line(last_red, SCENE, signals_at(RED_THEN_GREEN, 3.9), StopLineConfig()) == []
    (v,) = stop_line(first_green, SCENE, signals_at(RED_THEN_GREEN, 4.0), StopLineConfig())
    assert (v.kind, v.lane, v.feature, v.frame_index, v.before_frame) == ("stop_line", "a", "s1", 40, 4)
    assert v.details["time_into_red_s"] == pytest.approx(2.5)  # red from -2 s, crossing at 0.5 s
    assert v.details["stopped_s"] == pytest.approx(3.2)  # standing from point 7 (0.7 s) to the red's end
    assert v.details["red_ended"] == (T0 + timedelta(seconds=4)).isoformat()
    assert v.details["junction"] == "5 m past the stop line"


def test_stop_line_is_decided_only_just_after_the_red() -> None:
    """Later frames judge nothing new (the engine has counted the act already, or it was unseen)."""
    standing = APPROACH + still((35, 320), 70)  # green at 4.0 s: decided until 6.0 s (decide_within_s 2 s)
    assert len(stop_line(track(standing[:61]), SCENE, signals_at(RED_THEN_GREEN, 6.0), StopLineConfig())) == 1
    assert stop_line(track(standing[:62]), SCENE, signals_at(RED_THEN_GREEN, 6.1), StopLineConfig()) == []


def test_red_light_records_both_crossings() -> None:
    (v,) = red_light(track(CREEPER_RUNS[:36]), SCENE, signals_at(RED, 3.5), RedLightConfig())
    assert v.details["time_into_red_s"] == pytest.approx(2.5)  # at the stop line, 0.5 s after T0
    assert v.details["junction_time_into_red_s"] == pytest.approx(5.5)
    assert v.details["stop_line_crossed_at"] == (T0 + timedelta(seconds=0.5)).isoformat()
    assert v.details["junction_entered_at"] == (T0 + timedelta(seconds=3.5)).isoformat()
    assert v.details["speed_kmh"] == pytest.approx(18.0, abs=0.5)  # 10 px per 0.1 s at 20 px/m: 5 m/s


def test_stop_line_without_its_track_is_nothing() -> None:
    assert stop_line(Track(id=1, class_name="car", points=()), SCENE, signals_at(RED_THEN_GREEN, 4.0),
                     StopLineConfig()) == []
