"""The engine reports each act once per vehicle and forgets tracks the tracker dropped."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from edge.core import Track, TrackUpdate
from edge.rules.config import ReidConfig, RulesConfig
from edge.rules.engine import RuleEngine
from edge.rules.odd_even import OddEvenConfig
from tests.rules.scene import PX_PER_M, after_red, kmh, line, still
from tests.rules.scene import SCENE as METRIC
from tests.rules.scene import track as mtrack
from tests.rules.test_red_light import SCENE, signal, track


def test_reported_once_per_track_and_line() -> None:
    engine = RuleEngine(SCENE, RulesConfig())
    crossing = track(190, 210)
    assert len(engine.evaluate(TrackUpdate(active=(crossing,), ended=()), signal("red"))) == 1
    # The same step seen again (e.g. jitter back and forth over the line) is not a second act.
    assert engine.evaluate(TrackUpdate(active=(crossing,), ended=()), signal("red")) == []


def test_state_dropped_with_the_track() -> None:
    engine = RuleEngine(SCENE, RulesConfig())
    crossing = track(190, 210)
    engine.evaluate(TrackUpdate(active=(crossing,), ended=()), signal("red"))
    engine.evaluate(TrackUpdate(active=(), ended=(crossing.id,)), signal("red"))
    assert len(engine.evaluate(TrackUpdate(active=(crossing,), ended=()), signal("red"))) == 1


def test_empty_update() -> None:
    assert RuleEngine(SCENE, RulesConfig()).evaluate(TrackUpdate(active=(), ended=()), {}) == []


def test_an_id_switch_does_not_double_count() -> None:
    """A vehicle that crossed on red and stands past the line is reported when the red ends (and, in
    an odd-even lane, is a suspect to check by its plate); the tracker loses it and re-finds it as
    a new id at the same spot: still one act, one check. A different vehicle (a bus in the busway
    that crossed on red too) is its own act."""
    engine = RuleEngine(METRIC, RulesConfig(odd_even=OddEvenConfig(min_box_width_px=40)))  # 2 m car at 20 px/m
    green = after_red(-2.0, 1.9)
    first = mtrack([*line((35, 250), (35, 310), 5), *still((35, 310), 15)], track_id=1)
    found = engine.evaluate(TrackUpdate(active=(first,), ended=()), green)
    assert [(v.kind, v.suspect) for v in found] == [("stop_line", False), ("odd_even", True)]
    again = mtrack(still((36, 311), 15), track_id=2, t0=first.last.captured_at + timedelta(seconds=0.3))
    assert engine.evaluate(TrackUpdate(active=(again,), ended=(1,)), green) == []
    other = mtrack([*line((105, 250), (105, 310), 5), *still((105, 310), 15)], track_id=3, cls="bus")
    assert [(v.kind, v.lane) for v in engine.evaluate(TrackUpdate(active=(other,), ended=()), green)] == [
        ("stop_line", "b")]


def test_only_vehicles_are_judged() -> None:
    """A person or a bicycle crossing on red is tracked but never charged (no plate; a rider seen alone
    reads as a person); the same step by a car is."""
    engine = RuleEngine(SCENE, RulesConfig())
    crossings = {name: dataclasses.replace(track(190, 210), id=i, class_name=name)
                 for i, name in enumerate(("person", "bicycle", "car"), start=1)}
    found = engine.evaluate(TrackUpdate(active=tuple(crossings.values()), ended=()), signal("red"))
    assert [(v.kind, v.vehicle_class, v.track_id) for v in found] == [("red_light", "car", 3)]


def test_an_id_switch_of_a_moving_vehicle_is_found_where_it_drove_on() -> None:
    """A truck under a truck ban at 36 km/h loses its track for 0.5 s: the new id starts 5 m on,
    beyond the 3 m re-found radius around where it was lost, but within it around where it would
    be by now. One act, one charge."""
    engine = RuleEngine(METRIC, RulesConfig())
    first = mtrack(kmh(36, 1.2, y0=40), cls="truck", track_id=1)
    assert [v.kind for v in engine.evaluate(TrackUpdate(active=(first,), ended=()), {})] == ["restricted_lane"]
    gap = 0.5
    start = first.last.anchor[1] + 10 * PX_PER_M * gap
    again = mtrack(kmh(36, 1.2, y0=start), cls="truck", track_id=2,
                   t0=first.last.captured_at + timedelta(seconds=gap))
    assert engine.evaluate(TrackUpdate(active=(again,), ended=(1,)), {}) == []
    # Another truck where the first one stood when lost is another vehicle.
    other = mtrack(kmh(36, 1.2, y0=first.last.anchor[1]), cls="truck", track_id=3,
                   t0=first.last.captured_at + timedelta(seconds=gap))
    assert [v.kind for v in engine.evaluate(TrackUpdate(active=(other,), ended=()), {})] == ["restricted_lane"]


def boxed(t: Track, left: float, up: float, right: float) -> Track:
    """`t` with every box grown by `left`, `up` and `right` pixels (its bottom, the wheels, stays)."""
    return dataclasses.replace(t, points=tuple(
        dataclasses.replace(p, xyxy=(p.xyxy[0] - left, p.xyxy[1] - up, p.xyxy[2] + right, p.xyxy[3]))
        for p in t.points))


def replay_together(engine: RuleEngine, *tracks: Track) -> list[tuple[str, int]]:
    """Feed the tracks' points step by step, all live at once; (kind, track id) of every charge."""
    charged = []
    for n in range(1, max(len(t.points) for t in tracks) + 1):
        live = tuple(dataclasses.replace(t, points=t.points[:n]) for t in tracks if len(t.points) >= n)
        charged += [(v.kind, v.track_id) for v in engine.evaluate(TrackUpdate(active=live, ended=()), {})]
    return charged


def test_one_truck_boxed_twice_at_once_is_charged_once() -> None:
    """The detector gives a truck under a truck ban its own box and a wider one around it, and both
    live as tracks: one vehicle, one charge (re-identification alone only joins a lost track)."""
    truck = boxed(mtrack(kmh(36, 1.5, y0=40), cls="truck", track_id=1), 10, 40, 10)
    wider = boxed(dataclasses.replace(truck, id=2), 15, 10, 15)
    assert replay_together(RuleEngine(METRIC, RulesConfig()), truck, wider) == [("restricted_lane", 1)]
    off = RulesConfig(same_vehicle=ReidConfig(duplicate_inside=0))
    assert sorted(replay_together(RuleEngine(METRIC, off), truck, wider)) == [("restricted_lane", 1),
                                                                             ("restricted_lane", 2)]


def test_a_truck_seen_behind_another_is_another_vehicle() -> None:
    """Its box lies inside the nearer truck's (it is behind it in the picture), but it stands 4 m
    further up the lane: two vehicles, two charges."""
    near = boxed(mtrack(kmh(36, 1.5, y0=120), cls="truck", track_id=1), 20, 120, 20)
    far = mtrack(kmh(36, 1.5, y0=120 - 4 * PX_PER_M), cls="truck", track_id=2)
    assert all(p.xyxy[0] >= q.xyxy[0] and p.xyxy[1] >= q.xyxy[1] and p.xyxy[2] <= q.xyxy[2]
               for p, q in zip(far.points, near.points, strict=True))  # far's box inside near's
    assert sorted(replay_together(RuleEngine(METRIC, RulesConfig()), near, far)) == [("restricted_lane", 1),
                                                                                    ("restricted_lane", 2)]
