"""The ground-plane homography on the demo scene, against its ground truth.

The demo clip was rendered through an exact pinhole camera: the site file's ground points
are exact, and ground_truth.json gives each vehicle's position on the road (metres) per
frame next to its box (pixels), whose bottom centre is where the vehicle touches the road.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from edge.config.load import load_site
from edge.geometry import GroundPlane, anchor_points
from tests.conftest import DEMO

WIDTH, HEIGHT = 1280, 720
# The ground points lie at Y = 23..41 m. Boxes are whole pixels, and beyond ~50 m half a pixel
# is worth over 10 cm of road: there the truth's own rounding, not the fit, dominates.
NEAR_M = 50.0


@pytest.fixture(scope="module")
def plane(demo_site_path: Path) -> GroundPlane:
    found = load_site(demo_site_path).site.calibration.ground_plane()
    assert found is not None
    return found


def sightings() -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Per vehicle: anchor pixels and true ground positions of the frames its box is not cut by the border."""
    truth = json.loads((DEMO / "ground_truth.json").read_text())
    out = []
    for vehicle in truth["vehicles"]:
        boxes = {row[0]: row[1:] for row in vehicle["boxes"]}
        ground = {row[0]: row[1:] for row in vehicle["ground_m"]}
        frames = [f for f in sorted(boxes) if boxes[f][0] > 0 and boxes[f][2] < WIDTH and boxes[f][3] < HEIGHT]
        pixels = anchor_points(np.array([boxes[f] for f in frames], dtype=float))
        out.append((vehicle["id"], pixels, np.array([ground[f] for f in frames], dtype=float)))
    return out


def test_reprojection_error_below_one_pixel(plane: GroundPlane) -> None:
    assert plane.rms_px < 1.0
    assert plane.residuals_px.max() < 1.0


def test_ground_positions_near_the_ground_points(plane: GroundPlane) -> None:
    for vehicle, pixels, truth in sightings():
        near = truth[:, 1] <= NEAR_M
        error = np.linalg.norm(plane.to_world(pixels[near]) - truth[near], axis=1)
        assert error.max() < 0.2, f"{vehicle}: {error.max():.2f} m"


def test_distances_along_the_lane_within_two_percent(plane: GroundPlane) -> None:
    """Every pair of sightings of a vehicle at least 10 m apart, near the ground points."""
    worst = 0.0
    pairs = 0
    for _, pixels, truth in sightings():
        near = np.flatnonzero(truth[:, 1] <= NEAR_M)
        for i, j in combinations(near, 2):
            true_m = float(np.linalg.norm(truth[j] - truth[i]))
            if true_m < 10.0:
                continue
            measured = float(plane.distance_m(pixels[[i]], pixels[[j]])[0])
            worst = max(worst, abs(measured - true_m) / true_m)
            pairs += 1
    assert pairs > 5000
    assert worst < 0.02  # measured: 1.8 % worst, 0.25 % median over 5,660 pairs


def test_whole_passages_within_one_percent(plane: GroundPlane) -> None:
    """First to last sighting of each vehicle, however far (34 to 159 m): within 1 %."""
    for vehicle, pixels, truth in sightings():
        true_m = float(np.linalg.norm(truth[-1] - truth[0]))
        measured = float(plane.distance_m(pixels[[0]], pixels[[-1]])[0])
        assert abs(measured - true_m) / true_m < 0.01, f"{vehicle}: {measured:.1f} m vs {true_m:.1f} m"


def test_grid_lines_follow_the_lane_lines(plane: GroundPlane) -> None:
    """The metric grid line X = 0 is lane-1's left edge: a bad fit would show it off the paint."""
    lines = plane.grid((WIDTH, HEIGHT), step_m=3.5)
    x0 = plane.to_world(lines.reshape(-1, 2))[:, 0].reshape(-1, 2)
    along = lines[np.all(np.abs(x0) < 1e-6, axis=1)]
    assert len(along) == 1
    (ax, ay), (bx, by) = along[0]
    for (px, py), (wx, _) in zip(plane.to_image(plane.world_points), plane.world_points, strict=True):
        if wx == 0.0:  # the ground points on lane-1's left edge lie on the grid line
            cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
            assert abs(cross) / np.hypot(bx - ax, by - ay) < 0.5
