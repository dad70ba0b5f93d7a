"""Every site-file check as a table: a failing example naming the field and the reason, a
passing neighbour with no problem at all, and the empty cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from edge.config.checks import Problem, check_site
from edge.config.load import parse_site
from edge.geometry import GroundPlane
from tests.config.test_load import GOOD, _set, edit

Change = Callable[[dict[str, Any]], None]


def _both(*changes: Change) -> Change:
    def change(data: dict[str, Any]) -> None:
        for one in changes:
            one(data)
    return change


def _append(path: str, value: Any) -> Change:
    def change(data: dict[str, Any]) -> None:
        node: Any = data
        for key in path.split("."):
            node = node[int(key)] if key.isdigit() else node[key]
        node.append(value)
    return change


def _six_ground_points(wrong_m: float) -> Change:
    """GOOD's 4 ground points plus 2 consistent ones; the last one's Y off by `wrong_m` metres."""
    hom = GOOD["calibration"]["homography"]
    extra_px = [[650.0, 500.0], [500.0, 600.0]]
    extra_m = GroundPlane.fit(hom["image_points"], hom["world_points_m"]).to_world(np.array(extra_px)).tolist()
    extra_m[-1][1] += wrong_m
    return _set("calibration.homography", {"image_points": hom["image_points"] + extra_px,
                                           "world_points_m": hom["world_points_m"] + extra_m})


BUSWAY = {"id": "r1", "kind": "busway", "lanes": ["l1"], "allowed_classes": ["bus"],
          "windows": ["Mon-Fri 06:00-10:00"]}
ZONE = {"id": "z1", "kind": "no_stopping", "polygon": [[420, 650], [520, 650], [520, 690], [420, 690]],
        "max_dwell_s": 30}
SOLID = {"id": "m1", "line": [[640, 320], [645, 450], [650, 690]]}
L1 = "calibration.lanes.0 (l1)"
S1 = "calibration.stop_lines.0 (s1)"
G1 = "calibration.signals.0 (g1)"
JUNCTION = "calibration.stop_lines.0.junction_line"

# (rule, failing change, field, reason fragment, passing change)
RULES: list[tuple[str, Change, str, str, Change]] = [
    ("self-intersecting lane", _set("calibration.lanes.0.polygon", [[560, 300], [650, 700], [630, 300], [400, 700]]),
     f"{L1}.polygon", "not a simple polygon: Self-intersection",
     _set("calibration.lanes.0.polygon", [[560, 300], [630, 300], [650, 700], [400, 700]])),
    ("lane outside the image", _set("calibration.lanes.0.polygon", [[560, 300], [630, 300], [650, 721], [400, 721]]),
     f"{L1}.polygon", "outside the 1280x720 image",
     _set("calibration.lanes.0.polygon", [[560, 300], [630, 300], [650, 720], [400, 720]])),
    ("zero-length direction", _set("calibration.lanes.0.direction", [[600, 320], [600, 320]]),
     f"{L1}.direction", "same point", _set("calibration.lanes.0.direction", [[600, 320], [600, 330]])),
    ("direction arrow outside its lane", _set("calibration.lanes.0.direction", [[600, 320], [760, 680]]),
     f"{L1}.direction", "outside its lane", _set("calibration.lanes.0.direction", [[600, 320], [655, 680]])),
    ("speed limit without homography",
     _both(_set("calibration.lanes.0.speed_limit_kmh", 50), _set("calibration.homography", None)),
     f"{L1}.speed_limit_kmh", "needs calibration.homography", _set("calibration.lanes.0.speed_limit_kmh", 50)),
    ("overlapping lanes", _set("calibration.lanes.1.polygon", [[600, 300], [700, 300], [900, 700], [560, 700]]),
     "calibration.lanes.1 (l2).polygon", "overlaps lane 'l1'",
     _set("calibration.lanes.1.polygon", [[628, 300], [700, 300], [900, 700], [647, 700]])),  # a sliver only
    ("duplicate lane id", _set("calibration.lanes.1.id", "l1"), "calibration.lanes", "used more than once",
     _both(_set("calibration.lanes.1.id", "l3"), _set("calibration.stop_lines.0.lanes", ["l1", "l3"]))),
    ("stop line with unknown lane", _set("calibration.stop_lines.0.lanes", ["l1", "l9"]),
     f"{S1}.lanes", "unknown lane id 'l9'", _set("calibration.stop_lines.0.lanes", ["l2", "l1"])),
    ("stop line lists a lane twice", _set("calibration.stop_lines.0.lanes", ["l1", "l1", "l2"]),
     f"{S1}.lanes", "listed more than once", _set("calibration.stop_lines.0.lanes", ["l1", "l2"])),
    ("stop line outside its lanes", _set("calibration.stop_lines.0.line", [[300, 600], [850, 600]]),
     f"{S1}.line", "outside its lanes", _set("calibration.stop_lines.0.line", [[440, 600], [850, 600]])),
    ("stop line misses a lane", _set("calibration.stop_lines.0.line", [[450, 600], [640, 600]]),
     f"{S1}.line", "does not cross its lane 'l2'",
     _both(_set("calibration.stop_lines.0.line", [[450, 600], [640, 600]]),
           _set("calibration.stop_lines.0.lanes", ["l1"]))),
    ("zero-length stop line", _set("calibration.stop_lines.0.line", [[450, 600], [450, 600]]),
     f"{S1}.line", "zero length", _set("calibration.stop_lines.0.line", [[450, 600], [800, 600]])),
    ("junction line crossing the stop line", _set(JUNCTION, [[430, 640], [860, 590]]),
     f"{S1}.junction_line", "crosses the stop line", _set(JUNCTION, [[430, 650], [860, 650]])),
    ("junction line before the stop line", _set(JUNCTION, [[480, 550], [820, 550]]),
     f"{S1}.junction_line", "lies before the stop line for lane 'l1', 'l2'", _set(JUNCTION, [[425, 640], [870, 640]])),
    ("junction line misses a lane of the stop line", _set(JUNCTION, [[430, 650], [600, 650]]),
     f"{S1}.junction_line", "does not cross the stop line's lane 'l2'", _set(JUNCTION, [[430, 650], [860, 650]])),
    ("junction line outside the image", _set(JUNCTION, [[430, 650], [860, 730]]),
     f"{S1}.junction_line", "outside the 1280x720 image", _set(JUNCTION, [[430, 650], [860, 710]])),
    ("zero-length junction line", _set(JUNCTION, [[430, 650], [430, 650]]),
     f"{S1}.junction_line", "zero length", _set(JUNCTION, None)),
    ("stop line with unknown signal", _set("calibration.stop_lines.0.signal", "g7"),
     f"{S1}.signal", "unknown signal id 'g7'", _set("calibration.signals.0.id", "g1")),
    ("lamp ROI outside the image", _set("calibration.signals.0.roi.red", [1270, 50, 1300, 80]),
     f"{G1}.roi.red", "outside", _set("calibration.signals.0.roi.red", [1250, 50, 1280, 80])),
    ("inverted lamp ROI", _set("calibration.signals.0.roi.red", [1130, 80, 1100, 50]),
     f"{G1}.roi.red", "x2 > x1", _set("calibration.signals.0.roi.red", [1100, 50, 1130, 80])),
    ("overlapping lamp ROIs", _set("calibration.signals.0.roi.amber", [1100, 70, 1130, 120]),
     f"{G1}.roi.amber", "overlaps the red lamp", _set("calibration.signals.0.roi.amber", [1100, 80, 1130, 120])),
    ("vision signal without ROI", _set("calibration.signals.0.roi", None), f"{G1}.roi", "required when source",
     _both(_set("calibration.signals.0.roi", None), _set("calibration.signals.0.source", "controller"))),
    ("zero-length solid line", _set("calibration.solid_lines", [{**SOLID, "line": [[640, 320], [640, 320]]}]),
     "calibration.solid_lines.0 (m1).line", "zero length", _set("calibration.solid_lines", [SOLID])),
    ("solid line crossing itself",
     _set("calibration.solid_lines", [{**SOLID, "line": [[600, 320], [700, 400], [700, 320], [600, 400]]}]),
     "calibration.solid_lines.0 (m1).line", "crosses itself", _set("calibration.solid_lines", [SOLID])),
    ("solid line outside the image", _set("calibration.solid_lines", [{**SOLID, "line": [[640, 320], [650, 800]]}]),
     "calibration.solid_lines.0 (m1).line", "outside", _set("calibration.solid_lines", [SOLID])),
    ("self-intersecting zone",
     _set("calibration.zones", [{**ZONE, "polygon": [[420, 650], [520, 690], [520, 650], [420, 690]]}]),
     "calibration.zones.0 (z1).polygon", "not a simple polygon", _set("calibration.zones", [ZONE])),
    ("zone outside the image",
     _set("calibration.zones", [{**ZONE, "polygon": [[420, 650], [520, 650], [520, 760], [420, 760]]}]),
     "calibration.zones.0 (z1).polygon", "outside", _set("calibration.zones", [ZONE])),
    ("duplicate zone id", _set("calibration.zones", [ZONE, ZONE]), "calibration.zones", "used more than once",
     _set("calibration.zones", [ZONE, {**ZONE, "id": "z2"}])),
    ("restriction with unknown lane", _set("calibration.restrictions", [{**BUSWAY, "lanes": ["l7"]}]),
     "calibration.restrictions.0 (r1).lanes", "unknown lane id 'l7'", _set("calibration.restrictions", [BUSWAY])),
    ("busway allowing nobody", _set("calibration.restrictions", [{**BUSWAY, "allowed_classes": []}]),
     "calibration.restrictions.0 (r1).allowed_classes", "must list the classes",
     _set("calibration.restrictions", [{**BUSWAY, "kind": "odd_even", "allowed_classes": []}])),
    ("restriction window syntax", _set("calibration.restrictions", [{**BUSWAY, "windows": ["Mon-Fri 6-10"]}]),
     "calibration.restrictions.0 (r1).windows.0", 'write "[days ]HH:MM-HH:MM"',
     _set("calibration.restrictions", [{**BUSWAY, "windows": ["Sat,Sun 07:00-12:00", "Fri 22:00-02:00"]}])),
    ("restriction window day", _set("calibration.restrictions", [{**BUSWAY, "windows": ["Senin 06:00-10:00"]}]),
     "calibration.restrictions.0 (r1).windows.0", "unknown day 'Senin'",
     _set("calibration.restrictions", [{**BUSWAY, "windows": ["mon 06:00-10:00"]}])),
    ("degenerate homography", _set("calibration.homography.image_points", [[0, 0], [1, 1], [2, 2], [3, 3]]),
     "calibration.homography", "degenerate", _set("calibration.homography.image_points",
                                                  [[400, 700], [900, 700], [700, 300], [560, 300]])),
    ("reprojection error too large", _six_ground_points(wrong_m=3.0), "calibration.homography",
     "reprojection error", _six_ground_points(wrong_m=0.0)),
    ("ground point outside the image", _set("calibration.homography.image_points.0", [400, 730]),
     "calibration.homography.image_points.0", "outside", _set("calibration.homography.image_points.0", [400, 710])),
    ("ground points and metres differ in number", _append("calibration.homography.world_points_m", [3, 3]),
     "calibration.homography", "differ in length", _six_ground_points(wrong_m=0.0)),
    ("lane above the horizon", _set("calibration.lanes.0.polygon", [[590, 100], [610, 100], [650, 700], [400, 700]]),
     f"{L1}.polygon", "above the horizon",
     _set("calibration.lanes.0.polygon", [[590, 160], [610, 160], [650, 700], [400, 700]])),
]
IDS = [rule[0] for rule in RULES]


def problems_of(data: dict[str, Any]) -> list[str]:
    _, problems = parse_site(data)
    return [str(p) for p in problems]


@pytest.mark.parametrize(("rule", "failing", "field", "reason", "passing"), RULES, ids=IDS)
def test_rule_fails_and_names_the_field(rule: str, failing: Change, field: str, reason: str, passing: Change) -> None:
    found = problems_of(edit(failing))
    assert any(p.startswith(f"{field}: ") and reason in p for p in found), found


@pytest.mark.parametrize(("rule", "failing", "field", "reason", "passing"), RULES, ids=IDS)
def test_rule_passes_its_neighbour(rule: str, failing: Change, field: str, reason: str, passing: Change) -> None:
    assert problems_of(edit(passing)) == []


EMPTY_LISTS: dict[str, list[Any]] = {k: [] for k in ("stop_lines", "solid_lines", "signals", "zones", "restrictions")}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set("calibration", {"version": 1, "lanes": GOOD["calibration"]["lanes"], **EMPTY_LISTS}), []),
        (_set("calibration", {"version": 1, "lanes": GOOD["calibration"]["lanes"]}), []),  # lists left out
        (_set("calibration.lanes", []), [
            "calibration.lanes: List should have at least 1 item after validation, not 0"]),
        (_set("calibration", {}), ["calibration.version: Field required", "calibration.lanes: Field required"]),
    ],
    ids=["empty lists", "lists left out", "no lanes", "empty calibration"],
)
def test_empty_cases(change: Change, expected: list[str]) -> None:
    assert problems_of(edit(change)) == expected


@pytest.mark.parametrize("data", [None, [], "site", 3])
def test_not_a_mapping(data: object) -> None:
    assert problems_of(data) == ["(top level): expected a mapping of site, camera, calibration, articles"]  # type: ignore[arg-type]


def test_shape_checks_run_while_the_site_is_incomplete() -> None:
    """A lane just drawn has no direction yet; its bow tie is reported all the same."""
    lane = {"id": "l3", "polygon": [[100, 400], [300, 600], [300, 400], [100, 600]]}
    found = problems_of(edit(_append("calibration.lanes", lane)))
    assert "calibration.lanes.2 (l3).direction: Field required" in found
    assert any(p.startswith("calibration.lanes.2 (l3).polygon: not a simple polygon") for p in found), found


def test_problem_renders_one_line() -> None:
    problem = Problem(("calibration", "lanes", 0, "polygon"), "not a simple polygon", "l1")
    assert str(problem) == "calibration.lanes.0 (l1).polygon: not a simple polygon"
    site, _ = parse_site(GOOD)
    assert site is not None and check_site(site) == []
