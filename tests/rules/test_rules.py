"""Table tests per rule: each violation, and the near misses that must not fire."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import pytest

from edge.config.site import Calibration
from edge.core import SignalState, Track, Violation
from edge.plates.indonesia import PlateCertainty, parse
from edge.rules.illegal_stop import IllegalStopConfig, illegal_stop
from edge.rules.odd_even import Confirmed, Dismissed, OddEvenConfig, judge, odd_even
from edge.rules.restricted_lane import RestrictedLaneConfig, restricted_lane
from edge.rules.scene import Scene
from edge.rules.solid_line import SolidLineConfig, solid_line
from edge.rules.speeding import SpeedingConfig, speeding
from edge.rules.stop_line import StopLineConfig, stop_line
from edge.rules.wrong_way import WrongWayConfig, wrong_way
from tests.rules.scene import CAL, PX_PER_M, SCENE, T0, after_red, kmh, line, signal, still, track, with_centre


def relabelled(t: Track, name: str, rows: range) -> Track:
    """`t` whose detections at `rows` (indexes into its points) said `name`, as its `seen` path."""
    seen = tuple(dataclasses.replace(p, class_name=name) if i in rows else p for i, p in enumerate(t.points))
    return dataclasses.replace(t, seen=seen)


def relabel(t: Track, name: str, last: int, every: int = 1) -> Track:
    """`t` whose detections of its last `last` points said `name` (every `every`-th of them), as its `seen` path."""
    return relabelled(t, name, range(len(t.points) - last, len(t.points), every))


def sized(t: Track, fit: float) -> Track:
    """`t` whose every box is `fit` times its class's typical cuboid's height (edge.footprint)."""
    return dataclasses.replace(t, points=tuple(dataclasses.replace(p, size_fit=fit) for p in t.points))


def top_cut(t: Track, rows: range) -> Track:
    """`t` whose boxes `rows` (indexes into its points) the frame's top border cut: only part of the
    vehicle seen."""
    return dataclasses.replace(t, points=tuple(dataclasses.replace(p, top_cut=i in rows)
                                               for i, p in enumerate(t.points)))


Rule = Callable[[Track, Scene, Mapping[str, SignalState], Any], list[Violation]]
NO_SIGNAL: dict[str, SignalState] = {}

# What a rule must charge: (kind, lane, line or zone or restriction, last frame before the act, frame
# of the act), or None: it must not fire. A rule firing on the wrong lane or line fails here too.
Charge = tuple[str, str, str, int, int]
CASES: list[tuple[str, Rule, Any, Track, dict[str, SignalState], Charge | None]] = [
    # stop_line: crossed on red, stood past the line before the junction; judged when the red ends.
    # Each track crosses y 300 at 0.5 s; the last point is at 1.9 s (2.4 s for the 20-point ones).
    ("stop_line: stands 0.5 m past the line, red over", stop_line, StopLineConfig(),
     track(line((35, 250), (35, 310), 5) + still((35, 310), 15)), after_red(-2.0, 1.9),
     ("stop_line", "a", "s1", 4, 20)),
    ("stop_line: stands 0.5 m past the line, still red", stop_line, StopLineConfig(),
     track(line((35, 250), (35, 310), 5) + still((35, 310), 15)), signal("red"), None),
    ("stop_line: red then unknown: the red interval is still known", stop_line, StopLineConfig(),
     track(line((35, 250), (35, 310), 5) + still((35, 310), 15)), after_red(-2.0, 1.9, "unknown"),
     ("stop_line", "a", "s1", 4, 20)),
    ("stop_line: stops 0.3 m before the line", stop_line, StopLineConfig(),
     track(line((35, 250), (35, 294), 5) + still((35, 294), 15)), after_red(-2.0, 1.9), None),
    ("stop_line: crossed before the red (a queue)", stop_line, StopLineConfig(),
     track(line((35, 250), (35, 310), 5) + still((35, 310), 15)), after_red(0.6, 1.9), None),
    ("stop_line: green, no red before it", stop_line, StopLineConfig(),
     track(line((35, 250), (35, 310), 5) + still((35, 310), 15)), signal("green"), None),
    ("stop_line: past the line, signal unknown", stop_line, StopLineConfig(),
     track(line((35, 250), (35, 310), 5) + still((35, 310), 15)), signal("unknown"), None),
    ("stop_line: only 0.5 s standing", stop_line, StopLineConfig(),
     track(line((35, 250), (35, 310), 5) + still((35, 310), 5)), after_red(-2.0, 1.0), None),
    ("stop_line: driving through, never standing", stop_line, StopLineConfig(),
     track(line((35, 250), (35, 360), 10)), after_red(-2.0, 1.0), None),
    ("stop_line: empty track", stop_line, StopLineConfig(), track([]), after_red(-2.0, 1.9), None),
    # solid_line_crossing: across the marka utuh between lanes a and b
    ("solid: lane change across the solid line", solid_line, SolidLineConfig(),
     track(line((50, 150), (95, 200), 10)), NO_SIGNAL, ("solid_line_crossing", "b", "m1", 3, 6)),
    ("solid: the track jumps to the vehicle beside it (3 m sideways in 0.1 s)", solid_line, SolidLineConfig(),
     track([*line((40, 100), (40, 150), 5), *line((100, 160), (100, 210), 5)]), NO_SIGNAL, None),
    ("solid: jitter on the line", solid_line, SolidLineConfig(),
     track([(66 if i % 2 else 74, 150 + i) for i in range(20)]), NO_SIGNAL, None),
    ("solid: lane change past the line's end (dashed part)", solid_line, SolidLineConfig(),
     track(line((50, 330), (95, 380), 10)), NO_SIGNAL, None),
    ("solid: staying in the lane", solid_line, SolidLineConfig(), track(line((35, 50), (35, 250), 10)), NO_SIGNAL,
     None),
    ("solid: single point", solid_line, SolidLineConfig(), track([(50, 150)]), NO_SIGNAL, None),
    # wrong_way: up the image, against both lanes' arrows
    ("wrong_way: 2 s against the lane at 5 m/s", wrong_way, WrongWayConfig(),
     track(line((35, 380), (35, 180), 20)), NO_SIGNAL, ("wrong_way", "a", "a", 5, 20)),
    ("wrong_way: the same at 15 fps (a 1.5 s window holds 1.47 s of frames)", wrong_way, WrongWayConfig(),
     track(line((35, 380), (35, 180), 30), dt=1 / 15), NO_SIGNAL, ("wrong_way", "a", "a", 7, 30)),
    ("wrong_way: the same at 12.5 fps", wrong_way, WrongWayConfig(),
     track(line((35, 380), (35, 180), 25), dt=0.08), NO_SIGNAL, ("wrong_way", "a", "a", 6, 25)),
    ("wrong_way: a brief backward step", wrong_way, WrongWayConfig(),
     track([*line((35, 100), (35, 200), 10), (35, 190), *line((35, 195), (35, 250), 5)]), NO_SIGNAL, None),
    ("wrong_way: backing up 1 m", wrong_way, WrongWayConfig(), track(line((35, 300), (35, 280), 20)), NO_SIGNAL, None),
    ("wrong_way: against the lane for 1 s only", wrong_way, WrongWayConfig(),
     track(line((35, 380), (35, 280), 10)), NO_SIGNAL, None),
    ("wrong_way: legal direction", wrong_way, WrongWayConfig(), track(line((35, 100), (35, 300), 20)), NO_SIGNAL, None),
    ("wrong_way: too far away to tell (0.05 m per px, 0.04 allowed)", wrong_way, WrongWayConfig(max_m_per_px=0.04),
     track(line((35, 380), (35, 180), 20)), NO_SIGNAL, None),
    # speeding: lane a is limited to 50 km/h
    ("speeding: 62 km/h in a 50 zone", speeding, SpeedingConfig(), track(kmh(62, 1.5)), NO_SIGNAL,
     ("speeding", "a", "a", 0, 15)),
    ("speeding: 49 km/h", speeding, SpeedingConfig(), track(kmh(49, 1.5)), NO_SIGNAL, None),
    ("speeding: 49.5 km/h with jittery boxes", speeding, SpeedingConfig(),
     track([(x, y + (3 if i % 2 else -3)) for i, (x, y) in enumerate(kmh(49.5, 1.5))]), NO_SIGNAL, None),
    ("speeding: 52 km/h, steady, no share tolerance", speeding, SpeedingConfig(tolerance_pct=0),
     track(kmh(52, 1.5)), NO_SIGNAL, ("speeding", "a", "a", 0, 15)),
    ("speeding: 54 km/h, within the 10 % tolerance", speeding, SpeedingConfig(), track(kmh(54, 1.5)), NO_SIGNAL, None),
    ("speeding: 57 km/h, past the 10 % tolerance", speeding, SpeedingConfig(), track(kmh(57, 1.5)), NO_SIGNAL,
     ("speeding", "a", "a", 0, 15)),
    ("speeding: too few positions", speeding, SpeedingConfig(), track(kmh(80, 0.4)), NO_SIGNAL, None),
    ("speeding: 80 km/h seen for 0.5 s only", speeding, SpeedingConfig(), track(kmh(80, 0.5)), NO_SIGNAL, None),
    ("speeding: 80 km/h seen for 0.7 s (a car crossing a wide view's near field)", speeding, SpeedingConfig(),
     track(kmh(80, 0.7)), NO_SIGNAL, ("speeding", "a", "a", 0, 7)),
    ("speeding: 80 km/h, boxes half the class's height", speeding, SpeedingConfig(), sized(track(kmh(80, 1.5)), 0.5),
     NO_SIGNAL, ("speeding", "a", "a", 0, 15)),
    ("speeding: 80 km/h from boxes a third of the class's height (a part of the vehicle)", speeding,
     SpeedingConfig(), sized(track(kmh(80, 1.5)), 0.35), NO_SIGNAL, None),
    ("speeding: 80 km/h seen for 0.9 s (a fast motorcycle's whole pass)", speeding, SpeedingConfig(),
     track(kmh(80, 0.9)), NO_SIGNAL, ("speeding", "a", "a", 0, 9)),
    ("speeding: 45 km/h, the box jumps 5 m mid-window (id switch in a queue)", speeding, SpeedingConfig(),
     track([(x, y + (5 * PX_PER_M if i >= 8 else 0)) for i, (x, y) in enumerate(kmh(45, 1.5))]), NO_SIGNAL, None),
    ("speeding: lane without a limit", speeding, SpeedingConfig(), track(kmh(80, 1.5, x=105)), NO_SIGNAL, None),
    # illegal_stop: zone z1 (y 320–400), max dwell 3 s
    ("illegal_stop: 5 s standing in the zone", illegal_stop, IllegalStopConfig(),
     track(line((35, 250), (35, 350), 5) + still((35, 350), 51)), NO_SIGNAL, ("illegal_stop", "a", "z1", 5, 56)),
    ("illegal_stop: 3.6 s standing, inside the 1 s margin over the limit", illegal_stop, IllegalStopConfig(),
     track(line((35, 250), (35, 350), 5) + still((35, 350), 36)), NO_SIGNAL, None),
    ("illegal_stop: 2 s standing in the zone", illegal_stop, IllegalStopConfig(),
     track(line((35, 250), (35, 350), 5) + still((35, 350), 21)), NO_SIGNAL, None),
    ("illegal_stop: standing outside the zone", illegal_stop, IllegalStopConfig(),
     track(line((35, 150), (35, 250), 5) + still((35, 250), 50)), NO_SIGNAL, None),
    ("illegal_stop: nose past the zone, body standing in it", illegal_stop, IllegalStopConfig(),
     with_centre(track(line((35, 330), (35, 410), 5) + still((35, 410), 51)), 0, -30), NO_SIGNAL,
     ("illegal_stop", "a", "z1", 5, 56)),
    ("illegal_stop: nose and body past the zone", illegal_stop, IllegalStopConfig(),
     with_centre(track(line((35, 350), (35, 440), 5) + still((35, 440), 51)), 0, -30), NO_SIGNAL, None),
    ("illegal_stop: crawling through the zone", illegal_stop, IllegalStopConfig(),
     track(line((35, 320), (35, 400), 80)), NO_SIGNAL, None),
    # restricted_lane: busway b (Mon-Fri 06-10), trucks banned from a
    ("busway: a car in the busway during the window", restricted_lane, RestrictedLaneConfig(),
     track(line((105, 100), (105, 300), 20)), NO_SIGNAL, ("restricted_lane", "b", "busway-b", 10, 20)),
    ("busway: a car the detector called a bus a third of the time near", restricted_lane, RestrictedLaneConfig(),
     relabel(track(line((105, 100), (105, 300), 20)), "bus", last=20, every=3), NO_SIGNAL, None),
    ("busway: a motorcycle boxed as its rider in the busway", restricted_lane, RestrictedLaneConfig(),
     dataclasses.replace(track(line((105, 100), (105, 300), 20), cls="person"), class_name="motorcycle",
                         label="person"), NO_SIGNAL, ("restricted_lane", "b", "busway-b", 10, 20)),
    ("busway: a bus in the busway", restricted_lane, RestrictedLaneConfig(),
     track(line((105, 100), (105, 300), 20), cls="bus"), NO_SIGNAL, None),
    ("busway: a car in the busway outside the window", restricted_lane, RestrictedLaneConfig(),
     track(line((105, 100), (105, 300), 20), t0=T0 + timedelta(hours=5)), NO_SIGNAL, None),
    ("busway: a car in the busway, too far away to trust its class", restricted_lane,
     RestrictedLaneConfig(max_m_per_px=0.04), track(line((105, 100), (105, 300), 20)), NO_SIGNAL, None),
    ("busway: a car in the busway, just near enough", restricted_lane,
     RestrictedLaneConfig(max_m_per_px=0.06), track(line((105, 100), (105, 300), 20)), NO_SIGNAL,
     ("restricted_lane", "b", "busway-b", 10, 20)),
    ("busway: a car clipping the busway for 0.5 s", restricted_lane, RestrictedLaneConfig(),
     track([*line((35, 100), (35, 200), 10), *line((80, 210), (80, 250), 5)]), NO_SIGNAL, None),
    ("class ban: a truck in lane a", restricted_lane, RestrictedLaneConfig(),
     track(line((35, 100), (35, 300), 20), cls="truck"), NO_SIGNAL, ("restricted_lane", "a", "no-trucks-a", 10, 20)),
    ("class ban: a truck far away, the same vehicle a car once near", restricted_lane, RestrictedLaneConfig(),
     relabel(track(line((35, 100), (35, 300), 20), cls="truck"), "car", last=8), NO_SIGNAL, None),
    ("class ban: a truck, a car now and then near", restricted_lane, RestrictedLaneConfig(),
     relabel(track(line((35, 100), (35, 300), 20), cls="truck"), "car", last=8, every=4), NO_SIGNAL,
     ("restricted_lane", "a", "no-trucks-a", 10, 20)),
    ("class ban: a 'truck' the detector called a car one near box in four (a car it may be)", restricted_lane,
     RestrictedLaneConfig(), relabel(track(line((35, 100), (35, 300), 20), cls="truck"), "car", last=20, every=4),
     NO_SIGNAL, None),
    ("busway: the same 'truck' breaks the busway whether car or truck", restricted_lane, RestrictedLaneConfig(),
     relabel(track(line((105, 100), (105, 300), 20), cls="truck"), "car", last=20, every=4), NO_SIGNAL,
     ("restricted_lane", "b", "busway-b", 10, 20)),
    ("class ban: a 'truck' boxed as a car as it came in, then standing a truck for 6 s", restricted_lane,
     RestrictedLaneConfig(), relabelled(track(line((35, 100), (35, 300), 20) + still((35, 300), 60), cls="truck"),
                                        "car", range(0, 21, 4)), NO_SIGNAL, None),
    ("class ban: a truck whose boxes a truck's size explains", restricted_lane, RestrictedLaneConfig(),
     sized(track(line((35, 100), (35, 300), 20), cls="truck"), 0.7), NO_SIGNAL,
     ("restricted_lane", "a", "no-trucks-a", 10, 20)),
    ("class ban: a 'truck' whose boxes are a third of a truck's height (a car)", restricted_lane,
     RestrictedLaneConfig(), sized(track(line((35, 100), (35, 300), 20), cls="truck"), 0.33), NO_SIGNAL, None),
    ("class ban: a 'truck' whose boxes are half a truck's height (a car seen whole)", restricted_lane,
     RestrictedLaneConfig(), sized(track(line((35, 100), (35, 300), 20), cls="truck"), 0.48), NO_SIGNAL, None),
    ("busway: a car whose boxes are half a car's height (its face only) is still a car", restricted_lane,
     RestrictedLaneConfig(), sized(track(line((105, 100), (105, 300), 20)), 0.48), NO_SIGNAL,
     ("restricted_lane", "b", "busway-b", 10, 20)),
    ("busway: a 'car' whose boxes are twice a car's height (a bus)", restricted_lane, RestrictedLaneConfig(),
     sized(track(line((105, 100), (105, 300), 20)), 2.1), NO_SIGNAL, None),
    ("class ban: a car in lane a", restricted_lane, RestrictedLaneConfig(),
     track(line((35, 100), (35, 300), 20)), NO_SIGNAL, None),
    ("busway: a 'truck' whose top the frame cuts all along (a bus under the top edge)", restricted_lane,
     RestrictedLaneConfig(), top_cut(track(line((105, 100), (105, 300), 20), cls="truck"), range(21)), NO_SIGNAL,
     None),
    ("class ban: a truck whose top the frame cut until it came near", restricted_lane, RestrictedLaneConfig(),
     top_cut(track(line((35, 100), (35, 300), 20), cls="truck"), range(8)), NO_SIGNAL,
     ("restricted_lane", "a", "no-trucks-a", 10, 20)),
]


@pytest.mark.parametrize(("name", "rule", "config", "trk", "signals", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule_table(name: str, rule: Rule, config: Any, trk: Track, signals: dict[str, SignalState],
                    expected: Charge | None) -> None:
    found = [(v.kind, v.lane, v.feature, v.before_frame, v.frame_index) for v in rule(trk, SCENE, signals, config)]
    assert found == ([expected] if expected is not None else []), name


def test_speeding_records_speed_limit_and_uncertainty() -> None:
    (v,) = speeding(track(kmh(62, 1.5)), SCENE, NO_SIGNAL, SpeedingConfig())
    assert v.details["speed_kmh"] == pytest.approx(62, abs=0.2)
    assert v.details["limit_kmh"] == 50 and 0 <= float(v.details["uncertainty_kmh"] or 0) < 0.5  # type: ignore[arg-type]
    assert v.details["tolerance_kmh"] == 5.0  # 10 % of the limit


def test_speeding_needs_a_homography() -> None:
    flat = Scene.of(Calibration.model_validate({**CAL.model_dump(), "homography": None}))
    assert speeding(track(kmh(120, 1.5)), flat, NO_SIGNAL, SpeedingConfig()) == []


def test_wrong_way_details() -> None:
    (v,) = wrong_way(track(line((35, 380), (35, 180), 20)), SCENE, NO_SIGNAL, WrongWayConfig())
    assert v.details["angle_deg"] == pytest.approx(180)
    assert v.details["distance_m"] == pytest.approx(7.5)  # over the 1.5 s window
    assert v.lane == "a"


# The test scene is 20 px per metre: a car's box is 40 px wide.
NEAR = OddEvenConfig(min_box_width_px=40)
ODD_EVEN_CASES = [
    # The suspects: who must be checked against their plate (lane a, Mon-Fri 06:00-10:00).
    ("a car in lane a for 2 s", track(line((35, 100), (35, 300), 20)), 1),
    ("a motorcycle: exempt class", track(line((35, 100), (35, 300), 20), cls="motorcycle"), 0),
    ("a bus: exempt class", track(line((35, 100), (35, 300), 20), cls="bus"), 0),
    ("12:30 WIB: outside the window", track(line((35, 100), (35, 300), 20), t0=T0 + timedelta(hours=5)), 0),
    ("lane b is not restricted", track(line((105, 100), (105, 300), 20)), 0),
    ("only 0.5 s in lane a", track([*line((105, 100), (105, 200), 10), *line((35, 210), (35, 250), 5)]), 0),
    ("empty track", track([]), 0),
]


@pytest.mark.parametrize(("name", "trk", "expected"), ODD_EVEN_CASES, ids=[c[0] for c in ODD_EVEN_CASES])
def test_odd_even_suspects(name: str, trk: Track, expected: int) -> None:
    found = odd_even(trk, SCENE, NO_SIGNAL, NEAR)
    assert len(found) == expected, name
    assert all(v.suspect and v.feature == "ganjil-genap" for v in found)


def test_odd_even_suspects_only_once_the_vehicle_is_near() -> None:
    trk = track(line((35, 100), (35, 300), 20))  # boxes 40 px wide
    assert odd_even(trk, SCENE, NO_SIGNAL, OddEvenConfig(min_box_width_px=41)) == []
    assert len(odd_even(trk, SCENE, NO_SIGNAL, OddEvenConfig(min_box_width_px=40))) == 1


SUSPECT = track(line((35, 100), (35, 300), 20))  # 07:30 WIB on Thursday the 15th: an odd date


@pytest.mark.parametrize(
    ("plate", "exempt", "certainty", "verdict"),
    [
        ("B 1234 XYZ", [], (0.95, 0.95, 3), "violation"),   # even plate on the 15th
        ("B 1235 XYZ", [], (0.95, 0.95, 3), "complies"),    # odd plate on an odd date
        ("B 1234 XYZ", ["b1234xyz"], (0.95, 0.95, 3), "exempt: plate on the permit list"),
        ("CD 12 34", [], (0.95, 0.95, 3), "exempt: diplomatic plate"),
        ("B 7004 TGA yellow", [], (0.95, 0.95, 3), "exempt: public_transport plate"),  # a bus read as a truck
        ("B 1234 XYZ", [], (0.55, 0.95, 3), "violation"),   # unsure of a letter, sure of the last digit
        ("B 1234 XYZ", [], (0.4, 0.95, 3), "plate read too uncertain to judge"),  # the read itself is weak
        ("B 1234 XYZ", [], (0.85, 0.85, 3), "plate read too uncertain to judge"),  # the parity's digit
        ("B 1234 XYZ", [], (0.95, 0.95, 2), "plate read too uncertain to judge"),  # two frames agree, three needed
        (None, [], (1.0, 1.0, 5), "plate not read: too small"),
        # "EA 968 I" read as "EA 9681": no suffix and a last digit a letter turns into
        ("EA 9681", [], (1.0, 1.0, 5), "plate read too uncertain to judge"),
        ("EA 9684", [], (1.0, 1.0, 5), "violation"),  # no letter reads as 4: the parity stands
    ],
)
def test_odd_even_judged_by_the_plate(plate: str | None, exempt: list[str], certainty: tuple[float, float, int],
                                      verdict: str) -> None:
    config = NEAR.model_copy(update={"exempt_plates": exempt})
    (suspect,) = odd_even(SUSPECT, SCENE, NO_SIGNAL, config)
    yellow = plate is not None and plate.endswith(" yellow")  # the plate's colour, as the reader tells it
    text = plate.removesuffix(" yellow") if plate is not None else None
    judged = judge(suspect, parse(text) if text else None, config, PlateCertainty(*certainty),
                   unread_reason="too small", category="public_transport" if yellow else "private")
    if verdict != "violation":
        assert isinstance(judged, Dismissed) and str(judged).startswith(verdict)
        return
    assert isinstance(judged, Confirmed) and not judged.violation.suspect
    confirmed = judged.violation
    assert confirmed.details["date"] == "2026-01-15" and confirmed.details["date_parity"] == "odd"
    assert confirmed.details["plate_number"] == parse(plate).number and confirmed.details["plate_parity"] == "even"
    assert confirmed.details["restriction"] == "ganjil-genap"


def test_odd_even_uses_the_local_date() -> None:
    """23:30 UTC on the 14th is 06:30 WIB on the 15th: the 15th's parity decides (and the window holds)."""
    late = track(line((35, 100), (35, 300), 20), t0=T0 - timedelta(hours=1))
    (suspect,) = odd_even(late, SCENE, NO_SIGNAL, NEAR)
    assert suspect.details["date"] == "2026-01-15"
    assert isinstance(judge(suspect, parse("B 1234 XYZ"), OddEvenConfig(), PlateCertainty(0.9, 0.9, 3)), Confirmed)


def test_public_holidays_lift_odd_even_but_not_the_busway() -> None:
    """Jakarta's ganjil-genap does not apply on national holidays; a busway stays a busway unless
    its restriction says otherwise (skip_holidays)."""
    holiday = Scene.of(CAL, holidays=[date(2026, 1, 15)])  # T0 is 07:30 WIB on the 15th
    car_in_a = track(line((35, 100), (35, 300), 20))
    car_in_busway = track(line((105, 100), (105, 300), 20))
    assert odd_even(car_in_a, holiday, NO_SIGNAL, NEAR) == []
    assert len(odd_even(car_in_a, Scene.of(CAL, holidays=[date(2026, 1, 16)]), NO_SIGNAL, NEAR)) == 1
    assert [v.feature for v in restricted_lane(car_in_busway, holiday, NO_SIGNAL, RestrictedLaneConfig())] == [
        "busway-b"]
    rules = [r.model_copy(update={"skip_holidays": True}) if r.kind == "busway" else r for r in CAL.restrictions]
    lifted = Scene.of(CAL.model_copy(update={"restrictions": rules}), holidays=[date(2026, 1, 15)])
    assert restricted_lane(car_in_busway, lifted, NO_SIGNAL, RestrictedLaneConfig()) == []


# One act, one charge: lane b is a busway (busway-b, Mon-Fri 06-10) and, here, its own classes are
# buses only; lane a bans trucks (no-trucks-a) and, here, its own classes exclude trucks too.
_LANES = [lane.model_copy(update={"allowed_classes": ["bus"] if lane.id == "b" else ["car", "motorcycle", "bus"]})
          for lane in CAL.lanes]
BOTH = Scene.of(CAL.model_copy(update={"lanes": _LANES}))
ONE_ACT_CASES: list[tuple[str, Track, list[tuple[str, str, str, str, str, int]]]] = [
    ("car in a busway lane whose classes exclude cars: one charge naming both",
     track(line((105, 100), (105, 300), 20)), [("restricted_lane", "b", "busway-b", "b,busway-b",
                                                "lane_classes,busway", 20)]),
    ("truck in lane a, banned twice over: one charge naming both",
     track(line((35, 100), (35, 300), 20), cls="truck"), [("restricted_lane", "a", "no-trucks-a", "a,no-trucks-a",
                                                          "lane_classes,class_ban", 20)]),
    ("car in the busway lane outside the window: the lane's own classes alone",
     track(line((105, 100), (105, 300), 20), t0=T0 + timedelta(hours=5)), [("restricted_lane", "b", "b", "b",
                                                                            "lane_classes", 20)]),
    ("bus in the busway: nothing", track(line((105, 100), (105, 300), 20), cls="bus"), []),
    ("empty track", track([]), []),
]


@pytest.mark.parametrize(("name", "trk", "expected"), ONE_ACT_CASES, ids=[c[0] for c in ONE_ACT_CASES])
def test_restricted_lane_is_one_charge_per_lane(name: str, trk: Track,
                                                expected: list[tuple[str, str, str, str, str, int]]) -> None:
    found = restricted_lane(trk, BOTH, NO_SIGNAL, RestrictedLaneConfig())
    assert [(v.kind, v.lane, v.feature, str(v.details["restrictions"]), str(v.details["restriction_kinds"]),
             v.frame_index) for v in found] == expected, name
