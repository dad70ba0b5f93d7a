"""The scorer on hand-written truth and events: every verdict, the figures, and the empty case."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from evaluation.report import NOTES_MARKER, dump_results, load_results, make_results, write_note
from evaluation.runner import SceneRun
from evaluation.score import Event, Truth, parse_event, parse_truth, score_scene
from evaluation.summary import summarise

FRAMES = range(0, 31)
CAR_1 = (100.0, 100.0, 200.0, 200.0)
CAR_2 = (400.0, 100.0, 500.0, 200.0)
CAR_3 = (700.0, 100.0, 800.0, 200.0)
BUS = (100.0, 400.0, 300.0, 600.0)
NOWHERE = (1500.0, 900.0, 1600.0, 1000.0)


def vehicle(vid: str, box: tuple[float, ...], charges: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    frames = extra.pop("frames", FRAMES)
    return {
        "id": vid, "class": extra.pop("cls", "car"), "behaviour": extra.pop("behaviour", "pass_green"),
        "near_miss": extra.pop("near_miss", None), "plate": extra.pop("plate", {"text": f"B1{vid[1:]}XY"}),
        "speed_kmh": extra.pop("speed_kmh", 40.0), "charges": charges,
        "boxes": [[f, *box, 1.0] for f in frames], "plate_px": extra.pop("plate_px", []),
    }


def charge(kind: str, frame: int, window: tuple[int, int], restrictions: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"kind": kind, "frame": frame, "window": list(window), "lane": "lane-1", "feature": "f",
            "restrictions": list(restrictions)}


TRUTH: Truth = parse_truth({"seed": 7, "vehicles": [
    vehicle("v1", CAR_1, [charge("stop_line", 15, (10, 20))], behaviour="creep_stop_on_red",
            plate_px=[[5, 30.0], [15, 60.0], [25, 100.0]]),
    vehicle("v2", CAR_2, []),
    vehicle("v3", CAR_3, [], behaviour="stop_short", near_miss="stop_short"),
    vehicle("v4", BUS, [charge("restricted_lane", 12, (0, 30), ("busway-1", "ban-1"))], cls="bus",
            behaviour="class_ban"),
    vehicle("v5", (900.0, 100.0, 1000.0, 200.0), [], frames=[20]),  # visible on frame 20 only
]})


def event(kind: str, frame: int, box: tuple[float, float, float, float], name: str = "e", **extra: Any) -> Event:
    details: dict[str, Any] = dict(extra.pop("details", {}))
    plate = extra.pop("plate", None)
    return parse_event({"violation": {"type": kind, "frame_index": frame, "details": details},
                        "vehicle": {"box": list(box)},
                        "plate": {"text": plate} if plate else None}, name)


VERDICTS = [
    ("right", [event("stop_line", 15, CAR_1)], [("right", "v1")]),
    ("right, box a little off", [event("stop_line", 12, (110.0, 105.0, 210.0, 205.0))], [("right", "v1")]),
    ("wrong kind", [event("red_light", 15, CAR_1)], [("wrong", "v1")]),
    ("wrong vehicle", [event("stop_line", 15, CAR_2)], [("wrong", "v2")]),
    ("outside the window", [event("stop_line", 25, CAR_1)], [("wrong", "v1")]),
    ("double charge", [event("stop_line", 16, CAR_1, "b"), event("stop_line", 14, CAR_1, "a")],
     [("right", "v1"), ("double", "v1")]),
    ("matches no vehicle", [event("stop_line", 15, NOWHERE)], [("wrong", None)]),
    ("box below the IoU bar", [event("stop_line", 15, (150.0, 150.0, 250.0, 250.0))], [("wrong", None)]),
    # A detector that boxes only the face of v1's cuboid: IoU 0.25, wholly inside v1's true box.
    ("the face of the vehicle", [event("stop_line", 15, (120.0, 150.0, 170.0, 200.0))], [("right", "v1")]),
    ("a box half inside", [event("stop_line", 15, (150.0, 150.0, 200.0, 250.0))], [("wrong", None)]),
    ("nearest frame within 2", [event("speeding", 22, (900.0, 100.0, 1000.0, 200.0))], [("wrong", "v5")]),
    ("no box within 2 frames", [event("speeding", 23, (900.0, 100.0, 1000.0, 200.0))], [("wrong", None)]),
    ("near miss charged", [event("stop_line", 15, CAR_3)], [("wrong", "v3")]),
    ("empty", [], []),
]


@pytest.mark.parametrize(("events", "expected"), [c[1:] for c in VERDICTS], ids=[c[0] for c in VERDICTS])
def test_verdicts(events: list[Event], expected: list[tuple[str, str | None]]) -> None:
    scene = score_scene(TRUTH, events)
    assert [(j.verdict, j.vehicle) for j in scene.judgements] == expected


def test_figures_per_kind_and_compliant_vehicles() -> None:
    events = [event("stop_line", 15, CAR_1, "a"), event("stop_line", 16, CAR_1, "b"),
              event("stop_line", 15, CAR_3, "c"), event("red_light", 15, CAR_2, "d")]
    s = summarise([score_scene(TRUTH, events)])
    kinds = {k.kind: k for k in s.kinds}
    stop = kinds["stop_line"]
    assert (stop.scripted, stop.reported, stop.true_positives, stop.precision, stop.recall) == (1, 3, 1, 1 / 3, 1.0)
    assert (kinds["red_light"].scripted, kinds["red_light"].precision, kinds["red_light"].recall) == (0, 0.0, None)
    assert (kinds["restricted_lane"].reported, kinds["restricted_lane"].recall) == (0, 0.0)
    assert [(j.vehicle, j.evidence) for j in s.double_charges] == [("v1", "b")]
    assert [(j.vehicle, j.behaviour, j.near_miss, j.evidence) for j in s.wrong_charges] == [
        ("v3", "stop_short", "stop_short", "c"), ("v2", "pass_green", None, "d")]
    assert [(t.near_miss, t.vehicles, t.charged) for t in s.near_misses] == [("stop_short", 1, 1)]
    assert (s.background.vehicles, s.background.charged) == (2, 1)  # v2 charged, v5 not


@pytest.mark.parametrize(("details", "names_all"), [
    ({"restriction": "busway-1", "restrictions": "busway-1, ban-1"}, True),
    ({"restriction": "busway-1", "restrictions": "ban-1; busway-1"}, True),
    ({"restriction": "busway-1", "restrictions": ["busway-1", "ban-1"]}, True),
    ({"restriction": "busway-1"}, False),  # no `restrictions`: names only `restriction`
    ({"restriction": "busway-1", "restrictions": "busway-1"}, False),
])
def test_restricted_lane_must_name_every_restriction(details: dict[str, Any], names_all: bool) -> None:
    s = summarise([score_scene(TRUTH, [event("restricted_lane", 12, BUS, details=details)])])
    assert s.kinds[0].true_positives == 1  # still the right charge; naming is reported apart
    assert (s.restricted_lane_right, s.restricted_lane_naming_all) == (1, int(names_all))
    assert len(s.partly_named) == (0 if names_all else 1)
    if not names_all:
        assert "ban-1" in s.partly_named[0].reason


def test_plates_by_width_at_the_event_frame() -> None:
    events = [event("stop_line", 6, CAR_1, "a"),  # nearest width: frame 5, 30 px; unreadable
              event("stop_line", 15, CAR_1, "b", plate="B11XY"),  # 60 px; exact (a double, still counted)
              event("stop_line", 24, CAR_1, "c", plate="B11XZ"),  # 100 px; wrong
              event("stop_line", 15, CAR_2, "d", plate="B12XY")]  # no plate widths: n/a
    s = summarise([score_scene(TRUTH, events)])
    assert [(p.width, p.exact, p.wrong, p.unreadable) for p in s.plates] == [
        ("<40", 0, 0, 1), ("40-80", 1, 0, 0), (">=80", 0, 1, 0), ("n/a", 1, 0, 0)]


def test_speed_error_against_the_true_speed() -> None:
    events = [event("speeding", 15, CAR_1, "a", details={"speed_kmh": 42.0}),
              event("speeding", 15, CAR_2, "b", details={"speed_kmh": 38.0, "limit_kmh": 30}),
              event("stop_line", 15, NOWHERE, "c", details={"speed_kmh": 99.0})]  # no vehicle: no truth speed
    s = summarise([score_scene(TRUTH, events)])
    assert (s.speed.events, s.speed.mean_abs_kmh) == (0, None)  # no speeding charge in TRUTH: none right
    speed = s.speed_all
    assert speed.events == 2
    assert speed.mean_abs_kmh == pytest.approx(2.0)
    assert speed.mean_abs_pct == pytest.approx(5.0) and speed.max_pct == pytest.approx(5.0)


def test_nothing_to_score() -> None:
    s = summarise([])
    assert (s.scenes, s.scripted, s.reported, s.kinds, s.wrong_charges, s.double_charges) == (0, 0, 0, (), (), ())
    assert s.speed.events == s.speed_all.events == 0 and s.speed.mean_abs_kmh is None
    assert all(p.exact + p.wrong + p.unreadable == 0 for p in s.plates)


def test_scenes_add_up() -> None:
    one = score_scene(TRUTH, [event("stop_line", 15, CAR_1)])
    two = score_scene(TRUTH, [])
    s = summarise([one, two])
    assert (s.scenes, s.vehicles, s.scripted, s.true_positives) == (2, 10, 4, 1)
    assert [(p.seed, p.right) for p in s.per_scene] == [(7, 1), (7, 0)]


def test_results_round_trip_and_the_note(tmp_path: Path) -> None:
    """The results JSON reads back to the same values, and the note shows the tables and keeps its notes."""
    events = [event("stop_line", 15, CAR_1, "a", details={"speed_kmh": 42.0}), event("stop_line", 16, CAR_1, "b"),
              event("red_light", 15, CAR_3, "build/eval/eval/7/run/c")]
    run = SceneRun(seed=7, frames=31, elapsed_s=2.5, fps=12.4, detector_ms=50.0, violations=3, evidence_failures=(),
                   site_faults=(), plate_checks=(("complies", 2), ("confirmed", 1)))
    results = make_results("eval", [run], summarise([score_scene(TRUTH, events)]), tmp_path)
    dump_results(results, tmp_path / "results" / "eval.json")
    assert load_results(tmp_path / "results" / "eval.json") == results
    note = tmp_path / "EVALUATION.md"
    note.write_text(f"old\n{NOTES_MARKER}\nrule change X: precision 0.66 → 0.98\n")
    write_note(tmp_path / "results", note)
    text = note.read_text()
    assert "| stop_line | 1 | 2 | 1 | 0.50 | 1.00 | **no** |" in text
    assert ("| 7 | red_light | 15 | v3 | stop_short | stop_short | no red_light charge "
            "| `build/eval/eval/7/run/c` |") in text
    assert "Double charges: **1**." in text
    assert "odd_even suspects checked by plate: complies 2, confirmed 1." in text
    assert text.startswith("# Evaluation")
    assert text.endswith(f"{NOTES_MARKER}\nrule change X: precision 0.66 → 0.98\n")
