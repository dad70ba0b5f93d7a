"""Saving a site file: round trip, version, history, atomicity."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml

from edge.calibrate.store import HISTORY_DIR, SaveConflict, SaveRefused, dump_site, save_site, sha256_hex
from edge.config.load import load_site, parse_site


def test_dump_round_trips_the_demo(demo_site_path: Path) -> None:
    site = load_site(demo_site_path).site
    text = dump_site(site)
    assert text.startswith("# Site file (etle.site/1")
    again, problems = parse_site(yaml.safe_load(text))
    assert problems == [] and again == site
    assert "    polygon: [[583.4, 164.0], [0.0, 650.1]," in text  # one shape per line, diffable


def test_save_writes_atomically_and_keeps_mode(demo_copy: Path) -> None:
    os.chmod(demo_copy, 0o640)
    original = demo_copy.read_bytes()
    data = yaml.safe_load(original)
    saved = save_site(demo_copy, data, sha256_hex(original))
    assert saved.version == 2 and saved.history is not None
    assert stat.S_IMODE(demo_copy.stat().st_mode) == 0o640
    assert sorted(p.name for p in demo_copy.parent.iterdir()) == ["clip.mp4", HISTORY_DIR, "site.yaml"]  # no temp left
    assert saved.history.read_bytes() == original
    assert sha256_hex(demo_copy.read_bytes()) == saved.sha256 == load_site(demo_copy).sha256


def test_each_save_keeps_its_predecessor(demo_copy: Path) -> None:
    data = yaml.safe_load(demo_copy.read_bytes())
    sha = sha256_hex(demo_copy.read_bytes())
    for expected in (2, 3, 4):
        saved = save_site(demo_copy, data, sha)
        sha = saved.sha256
        assert saved.version == expected
    names = sorted(p.name.split(".")[1] for p in (demo_copy.parent / HISTORY_DIR).iterdir())
    assert names == ["v1", "v2", "v3"]


def test_refusals_leave_the_file_alone(demo_copy: Path) -> None:
    original = demo_copy.read_bytes()
    data = yaml.safe_load(original)
    with pytest.raises(SaveConflict, match="reload the page"):
        save_site(demo_copy, data, sha256_hex(b"someone else's version"))
    data["calibration"]["lanes"][1]["id"] = "lane-1"
    with pytest.raises(SaveRefused) as refused:
        save_site(demo_copy, data, sha256_hex(original))
    assert "calibration.lanes: id 'lane-1' is used more than once; give each a unique id" in map(
        str, refused.value.problems)
    assert demo_copy.read_bytes() == original
    assert not (demo_copy.parent / HISTORY_DIR).exists()
