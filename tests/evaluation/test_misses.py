"""Where a missed charge was lost, judged from hand-made detections against hand-written truth."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import supervision as sv

from evaluation.misses import find_misses
from evaluation.report import dump_results, load_results, make_results, split_section
from evaluation.runner import SceneRun
from evaluation.score import parse_truth, score_scene
from evaluation.summary import summarise
from tests.evaluation.test_score import BUS, CAR_1, CAR_2, CAR_3, charge, event, vehicle

MOTORCYCLE = (700.0, 400.0, 760.0, 520.0)

TRUTH = parse_truth({"seed": 9, "vehicles": [
    vehicle("v1", CAR_1, [charge("stop_line", 15, (10, 20))]),  # reported: no miss
    vehicle("v2", CAR_2, [charge("red_light", 15, (10, 20))]),  # boxed twice in 11 frames: not detected
    vehicle("v3", CAR_3, [charge("speeding", 15, (10, 20))]),  # boxed as a truck: another class
    vehicle("v4", BUS, [charge("restricted_lane", 12, (0, 30))], cls="bus"),  # boxed as a bus, not charged
    vehicle("v5", MOTORCYCLE, [charge("wrong_way", 15, (10, 20))], cls="motorcycle"),  # its rider: itself
]})


def detections(frame: int) -> sv.Detections:
    """Per frame: the bus's front face (inside its body box), the car v3 as a truck, v5's rider as a
    person, a stray box over two vehicles, and v2 on two frames only."""
    boxes = [(120.0, 450.0, 280.0, 590.0, "bus"), (705.0, 105.0, 795.0, 195.0, "truck"),
             (710.0, 400.0, 750.0, 470.0, "person"), (150.0, 80.0, 450.0, 220.0, "car")]
    if frame in (10, 11):
        boxes.append((402.0, 102.0, 498.0, 198.0, "car"))
    return sv.Detections(xyxy=np.array([b[:4] for b in boxes], np.float32), confidence=np.full(len(boxes), 0.6),
                         class_id=np.zeros(len(boxes), int), data={"class_name": np.array([b[4] for b in boxes])})


def test_each_missed_charge_is_put_where_it_was_lost() -> None:
    scored = score_scene(TRUTH, [event("stop_line", 15, CAR_1)])
    misses = find_misses(TRUTH, scored, {f: detections(f) for f in range(31)})
    found = {m.vehicle: (m.kind, m.cause, m.seen, m.classes) for m in misses}
    assert found == {
        "v2": ("red_light", "not detected", round(2 / 11, 3), "car 2"),
        "v3": ("speeding", "detected as another class", 1.0, "truck 11"),
        "v4": ("restricted_lane", "detected, not charged", 1.0, "bus 31"),
        "v5": ("wrong_way", "detected, not charged", 1.0, "person 11"),
    }
    # Every other frame detected (a run that detected every 2nd frame): seen is over those frames only.
    half = find_misses(TRUTH, scored, {f: detections(f) for f in range(0, 31, 2)})
    assert {m.vehicle: m.seen for m in half}["v3"] == 1.0
    assert {m.cause for m in find_misses(TRUTH, scored, None)} == {"no recording"}


def test_the_causes_reach_the_results_and_the_note(tmp_path: Path) -> None:
    scored = score_scene(TRUTH, [event("stop_line", 15, CAR_1)])
    misses = find_misses(TRUTH, scored, {f: detections(f) for f in range(31)})
    run = SceneRun(seed=9, frames=31, elapsed_s=1.0, fps=31.0, detector_ms=5.0, violations=1, evidence_failures=(),
                   site_faults=(), plate_checks=())
    results = make_results("tune", [run], summarise([scored], misses), tmp_path)
    dump_results(results, tmp_path / "tune.json")
    assert load_results(tmp_path / "tune.json") == results
    text = "\n".join(split_section(results))
    assert "| red_light | 1 | 1 | 0 | 0 | 0 |" in text and "| **all** | 4 | 1 | 1 | 2 | 0 |" in text
    # A results file written before misses were found still loads, with none.
    data = json.loads((tmp_path / "tune.json").read_text())
    del data["summary"]["misses"], data["summary"]["miss_causes"]
    (tmp_path / "old.json").write_text(json.dumps(data))
    old = load_results(tmp_path / "old.json")
    assert old.summary == dataclasses.replace(results.summary, misses=(), miss_causes=())
    assert "Missed charges" not in "\n".join(split_section(old))
