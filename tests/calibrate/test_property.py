"""check-site on random geometry: it never crashes, and always answers valid or invalid with reasons."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge.cli import main
from edge.config.load import parse_site
from tests.config.test_load import GOOD

coordinate = st.one_of(st.floats(-200, 1500, allow_nan=False), st.sampled_from([0.0, 720.0, 1280.0]))
point = st.tuples(coordinate, coordinate)
polygon = st.lists(point, min_size=0, max_size=7)
box = st.tuples(coordinate, coordinate, coordinate, coordinate)


@st.composite
def sites(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    cal = data["calibration"]
    for lane in cal["lanes"]:
        lane["polygon"] = draw(polygon)
        lane["direction"] = draw(st.lists(point, min_size=0, max_size=3))
    cal["stop_lines"][0]["line"] = draw(st.lists(point, min_size=2, max_size=2))
    cal["stop_lines"][0]["lanes"] = draw(st.lists(st.sampled_from(["l1", "l2", "l9"]), max_size=3))
    cal["signals"][0]["roi"] = {lamp: draw(box) for lamp in ("red", "amber", "green")}
    cal["solid_lines"] = [{"id": "m1", "line": draw(st.lists(point, min_size=0, max_size=4))}]
    cal["zones"] = [{"id": "z1", "kind": "no_stopping", "polygon": draw(polygon), "max_dwell_s": 10}]
    n = draw(st.integers(0, 6))
    cal["homography"] = {"image_points": draw(st.lists(point, min_size=n, max_size=n)),
                         "world_points_m": draw(st.lists(point, min_size=n, max_size=n))}
    cal["restrictions"] = [{"id": "r1", "kind": "busway", "lanes": ["l1"], "allowed_classes": ["bus"],
                            "windows": [draw(st.sampled_from(["Mon-Fri 06:00-10:00", "nonsense", "Mon 25:00-26:00"]))]}]
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sites())
def test_parse_never_crashes(data: dict[str, Any]) -> None:
    site, problems = parse_site(data)
    assert all(str(p).split(": ", 1)[1] for p in problems)  # every problem gives a reason
    if site is None:
        assert problems  # invalid structure is always explained


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sites())
def test_check_site_answers_valid_or_invalid(tmp_path: Path, data: dict[str, Any]) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data))
    code = main(["check-site", str(path)])
    assert code in (0, 1)
