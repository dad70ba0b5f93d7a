"""The scene generator: deterministic, exact boxes, valid site files, exact homography, charges by behaviour."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

from edge.config.load import load_site
from evaluation.behaviours import BACKGROUND, CHARGE_KIND, TWINS, VIOLATIONS
from evaluation.render import plan_scene, render_frames
from evaluation.sitefile import site_yaml
from evaluation.truth import truth_dict
from evaluation.vehicles import boxes_many

SEEDS = [(101, "tune"), (9005, "ci")]


@pytest.fixture(scope="module", params=SEEDS, ids=lambda s: f"{s[1]}-{s[0]}")
def planned(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    seed, split = request.param
    return plan_scene(seed, split)


def _truth(planned) -> dict[str, object]:  # type: ignore[no-untyped-def]
    st, placed, plates = planned
    return truth_dict(st, placed, plates, {p.id: np.ones(st.frames) for p in placed})


def test_same_seed_same_truth(planned) -> None:  # type: ignore[no-untyped-def]
    st = planned[0]
    again = plan_scene(st.seed, st.split)
    assert _truth(again) == _truth(planned)


def test_boxes_are_the_projected_cuboid_around_the_footprint(planned) -> None:  # type: ignore[no-untyped-def]
    st, placed, _ = planned
    for p in placed:
        box, _ = boxes_many(st.cam, p.plan.body, p.track.xs, p.track.ys, p.headings)
        seen = np.nonzero(p.track.box_w > 0)[0]
        assert len(seen), p.id
        for f in seen[:: max(1, len(seen) // 5)]:
            u, v = st.cam.ground(float(p.track.xs[f]), float(p.track.ys[f]))
            x0, y0, x1, y1 = box[f]
            if st.cam.inside(u, v):  # the footprint centre lies under the roof, inside the box
                assert x0 - 0.5 <= u <= x1 + 0.5 and y0 - 0.5 <= v <= y1 + 0.5, (p.id, f)
            assert 0 <= x0 < x1 <= st.cam.width - 1 and 0 <= y0 < y1 <= st.cam.height - 1


def test_site_file_passes_the_site_checks(planned, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "site.yaml"
    path.write_text(site_yaml(planned[0]))
    site = load_site(path).site
    assert len(site.calibration.homography.image_points) >= 4  # type: ignore[union-attr]
    assert site.calibration.stop_lines[0].junction_line is not None


def test_homography_maps_footprints_to_their_pixels(planned) -> None:  # type: ignore[no-untyped-def]
    st, placed, _ = planned
    hom = yaml.safe_load(site_yaml(st))["calibration"]["homography"]
    h, _ = cv2.findHomography(np.array(hom["world_points_m"], np.float64), np.array(hom["image_points"], np.float64))
    for p in placed:
        for f in np.nonzero(p.track.box_w > 0)[0][::7]:
            x, y = float(p.track.xs[f]), float(p.track.ys[f])
            u, v = st.cam.ground(x, y)
            if not st.cam.inside(u, v):
                continue
            got = h @ np.array([x, y, 1.0])
            assert np.hypot(got[0] / got[2] - u, got[1] / got[2] - v) < 0.5, (p.id, f)


@pytest.mark.parametrize(("behaviour", "kind"), [
    ("red_light_run", "red_light"), ("creep_stop_on_red", "stop_line"), ("solid_cross", "solid_line_crossing"),
    ("wrong_way", "wrong_way"), ("busway_intrusion", "restricted_lane"), ("class_ban", "restricted_lane"),
    ("speeding", "speeding"), ("illegal_stop", "illegal_stop"), ("odd_even", "odd_even"),
    ("reentry_violator", "restricted_lane"),
    *[(twin, None) for twin in TWINS], *[(bg, None) for bg in BACKGROUND],
])
def test_behaviour_table(behaviour: str, kind: str | None) -> None:
    assert CHARGE_KIND[behaviour] == kind
    assert (behaviour in VIOLATIONS) == (kind is not None)


def test_scheduled_charges_follow_the_table(planned) -> None:  # type: ignore[no-untyped-def]
    _, placed, _ = planned
    for p in placed:
        kinds = [c.kind for c in p.charges]
        want = CHARGE_KIND[p.plan.behaviour]
        assert kinds == ([] if want is None else [want]), p.plan.behaviour
        for c in p.charges:
            assert c.window[0] <= c.frame <= c.window[1]
        if p.plan.behaviour == "busway_intrusion":
            assert p.charges[0].restrictions == ("busway-1", "lane-1")


def test_frames_render(planned, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    st, placed, plates = planned
    visible = render_frames(st, placed, plates, tmp_path / "clip.mp4", frames=3)
    cap = cv2.VideoCapture(str(tmp_path / "clip.mp4"))
    ok, img = cap.read()
    assert ok and img.shape == (st.cam.height, st.cam.width, 3)
    assert all(0.0 <= float(v.max()) <= 1.0 for v in visible.values())
