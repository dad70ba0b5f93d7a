"""Site files: a good one loads; each broken one is refused naming the field and the reason."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from edge.cli import main
from edge.config.load import load_site
from edge.errors import SiteFileError

GOOD: dict[str, Any] = {
    "site": {"id": "t-01", "name": "Test", "timezone": "Asia/Jakarta", "location": {"lat": -6.2, "lon": 106.8}},
    "camera": {"id": "cam-01", "source": "clip.mp4", "fps": 10, "resolution": [1280, 720],
               "start_time": "2026-01-15T07:30:00+07:00"},
    "calibration": {
        "version": 1,
        "homography": {"image_points": [[400, 700], [900, 700], [700, 300], [560, 300]],
                       "world_points_m": [[0, 0], [7, 0], [7, 40], [0, 40]]},
        "lanes": [
            {"id": "l1", "polygon": [[560, 300], [630, 300], [650, 700], [400, 700]],
             "direction": [[600, 320], [560, 680]]},
            {"id": "l2", "polygon": [[630, 300], [700, 300], [900, 700], [650, 700]],
             "direction": [[660, 320], [760, 680]]},
        ],
        "stop_lines": [{"id": "s1", "line": [[450, 600], [850, 600]], "lanes": ["l1", "l2"], "signal": "g1"}],
        "signals": [{"id": "g1", "source": "vision",
                     "roi": {"red": [1100, 50, 1130, 80], "amber": [1100, 90, 1130, 120],
                             "green": [1100, 130, 1130, 160]}}],
    },
}


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def edit(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    change(data)
    return data


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is DELETE:
            del node[last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value
    return change


DELETE = object()

BROKEN = [
    ("unknown key", _set("camera.zoom", 2), "camera.zoom", "Extra inputs are not permitted"),
    ("missing field", _set("site.id", DELETE), "site.id", "Field required"),
    ("bad time zone", _set("site.timezone", "Asia/Bandung"), "site.timezone", "unknown IANA time zone"),
    ("bad holiday", _set("site.holidays", ["2026-02-30"]), "site.holidays.0", "valid date"),
    ("naive start time", _set("camera.start_time", "2026-01-15T07:30:00"), "camera.start_time", "UTC offset"),
    ("negative fps", _set("camera.fps", -1), "camera.fps", "greater than 0"),
    ("self-intersecting lane", _set("calibration.lanes.0.polygon", [[560, 300], [650, 700], [630, 300], [400, 700]]),
     "calibration.lanes.0 (l1).polygon", "Self-intersection"),
    ("lane outside image", _set("calibration.lanes.0.polygon", [[560, 300], [630, 300], [650, 900], [400, 700]]),
     "calibration.lanes.0 (l1).polygon", "outside"),
    ("unknown lane id", _set("calibration.stop_lines.0.lanes", ["l1", "l9"]),
     "calibration.stop_lines.0 (s1).lanes", "unknown lane id 'l9'"),
    ("stop line outside its lanes", _set("calibration.stop_lines.0.line", [[100, 600], [850, 600]]),
     "calibration.stop_lines.0 (s1).line", "outside its lanes"),
    ("stop line misses a lane", _set("calibration.stop_lines.0.line", [[450, 600], [640, 600]]),
     "calibration.stop_lines.0 (s1).line", "does not cross its lane 'l2'"),
    ("unknown signal id", _set("calibration.stop_lines.0.signal", "g7"),
     "calibration.stop_lines.0 (s1).signal", "unknown signal id 'g7'"),
    ("ROI outside image", _set("calibration.signals.0.roi.red", [1270, 50, 1300, 80]),
     "calibration.signals.0 (g1).roi.red", "outside"),
    ("inverted ROI", _set("calibration.signals.0.roi.red", [1130, 80, 1100, 50]),
     "calibration.signals.0 (g1).roi.red", "x2 > x1"),
    ("vision signal without ROI", _set("calibration.signals.0.roi", None),
     "calibration.signals.0 (g1).roi", "required"),
    ("degenerate homography", _set("calibration.homography.image_points", [[0, 0], [1, 1], [2, 2], [3, 3]]),
     "calibration.homography", "degenerate"),
    ("homography too few points", _set("calibration.homography.world_points_m", [[0, 0], [7, 0], [7, 40]]),
     "calibration.homography.world_points_m", "at least 4"),
    ("no lanes", _set("calibration.lanes", []), "calibration.lanes", "at least 1"),
    ("duplicate lane id", _set("calibration.lanes.1.id", "l1"), "calibration.lanes", "more than once"),
]


def test_good_site_loads(tmp_path: Path) -> None:
    loaded = load_site(write(tmp_path, GOOD))
    assert loaded.site.calibration.version == 1
    assert len(loaded.sha256) == 64
    assert loaded.site.article("red_light") == "UU 22/2009 Pasal 287 ayat (2)"
    assert loaded.resolve_source() == str(tmp_path / "clip.mp4")
    assert loaded.resolve_source("rtsp://cam/1") == "rtsp://cam/1"


@pytest.mark.parametrize(("name", "change", "field", "reason"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_site_names_field_and_reason(
    tmp_path: Path, name: str, change: Callable[[dict[str, Any]], None], field: str, reason: str
) -> None:
    with pytest.raises(SiteFileError) as err:
        load_site(write(tmp_path, edit(change)))
    assert any(p.startswith(field) and reason in p for p in err.value.problems), err.value.problems


@pytest.mark.parametrize(
    ("content", "reason"),
    [("site: [unclosed", "not valid YAML"), ("", "expected a mapping"), ("- a\n- b\n", "expected a mapping")],
)
def test_unparseable_site(tmp_path: Path, content: str, reason: str) -> None:
    with pytest.raises(SiteFileError, match=reason):
        load_site(write(tmp_path, content))


def test_missing_site_file(tmp_path: Path) -> None:
    with pytest.raises(SiteFileError, match="cannot read the file"):
        load_site(tmp_path / "nope.yaml")


def test_check_site_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path, GOOD)
    assert main(["check-site", str(good)]) == 0
    assert "ok (calibration version 1" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(edit(_set("calibration.stop_lines.0.lanes", ["l9"]))))
    assert main(["check-site", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "calibration.stop_lines.0 (s1).lanes: unknown lane id 'l9'" in out


def test_demo_site_is_valid(demo_site_path: Path) -> None:
    assert main(["check-site", str(demo_site_path)]) == 0
