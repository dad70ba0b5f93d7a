"""Reference frames kept with each calibration version, the anchors drift is measured at, and
the watch's config."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from edge.config.load import load_site
from edge.tamper.config import TamperConfig
from edge.tamper.reference import (
    ReferenceFrameError,
    anchor_points,
    clip_still,
    load_reference,
    reference_path,
    save_reference,
)
from tests.conftest import DEMO


def test_a_reference_is_kept_per_site_file_and_version(tmp_path: Path) -> None:
    site = tmp_path / "simpang-lima.yaml"
    image = np.dstack([*np.meshgrid(np.arange(128), np.arange(72)), np.full((72, 128), 90)]).astype(np.uint8)
    assert load_reference(site, 3) is None
    path = save_reference(image, site, 3)
    assert path == tmp_path / "references" / "simpang-lima.v3.jpg" == reference_path(site, 3)
    assert os.stat(path).st_mode & 0o777 == 0o644
    loaded = load_reference(site, 3)
    assert loaded is not None and loaded.shape == image.shape
    assert float(np.abs(loaded.astype(int) - image).mean()) < 1
    assert load_reference(site, 2) is None and load_reference(tmp_path / "other.yaml", 3) is None
    assert [p.name for p in path.parent.iterdir()] == ["simpang-lima.v3.jpg"]  # no temporary file left


def test_an_unreadable_reference_says_what_to_do(tmp_path: Path) -> None:
    site = tmp_path / "site.yaml"
    reference_path(site, 1).parent.mkdir()
    reference_path(site, 1).write_bytes(b"not a jpeg")
    with pytest.raises(ReferenceFrameError, match="not a readable image: delete it and save the calibration"):
        load_reference(site, 1)
    with pytest.raises(ReferenceFrameError, match="has no frame 400"):
        clip_still(DEMO / "clip.mp4", 400)


def test_the_demo_reference_is_frame_220_of_the_clip_at_the_sites_version() -> None:
    """scripts/make_demo.py writes it with the same two functions."""
    version = load_site(DEMO / "site.yaml").site.calibration.version
    committed = load_reference(DEMO / "site.yaml", version)
    assert committed is not None and committed.shape == (720, 1280, 3)
    frame = clip_still(DEMO / "clip.mp4", 220)
    assert float(np.abs(committed.astype(int) - frame).mean()) < 1.5
    other = clip_still(DEMO / "clip.mp4", 0)
    assert float(np.abs(committed.astype(int) - other).mean()) > 3


def test_anchors_are_the_stop_line_ends_and_the_lane_corners() -> None:
    calibration = load_site(DEMO / "site.yaml").site.calibration
    anchors = anchor_points(calibration)
    assert anchors.shape == (2 + 5 + 4 + 4, 2)
    assert anchors[:2].tolist() == [[161.8, 515.3], [962.1, 510.8]]
    empty = calibration.model_copy(update={"stop_lines": [], "lanes": []})
    assert anchor_points(empty).shape == (0, 2)


@pytest.mark.parametrize(("data", "error"), [
    ({"max_shift": 10}, "Extra inputs are not permitted"),
    ({"check_every_s": 0}, "greater than 0"),
    ({"dark_level": 240}, "dark_level (240) must be under bright_level (235)"),
    ({"blank_share": 1.5}, "less than or equal to 1"),
])
def test_the_config_refuses_what_cannot_work(data: dict[str, object], error: str) -> None:
    with pytest.raises(ValidationError, match=error.replace("(", r"\(").replace(")", r"\)")):
        TamperConfig.model_validate(data)


def test_every_config_field_is_documented() -> None:
    for name, field in TamperConfig.model_fields.items():
        assert field.title and field.description, name
