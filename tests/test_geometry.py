"""Table tests of the pure geometry, each with its empty and degenerate rows."""

from __future__ import annotations

import numpy as np
import pytest

from edge.geometry import (
    GroundPlane,
    crossed_segment,
    fit_homography,
    points_in_polygon,
    polyline_crossing,
    project,
    segment_crossing,
    side_of_line,
)

SQUARE = [(0, 0), (10, 0), (10, 10), (0, 10)]
LINE = [(0, 0), (10, 0)]


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([[5, 5]], [True]),
        ([[0, 5]], [True]),  # on the edge counts as inside
        ([[-1, 5], [11, 11]], [False, False]),
        (np.empty((0, 2)), []),
    ],
)
def test_points_in_polygon(points: list[list[float]], expected: list[bool]) -> None:
    assert points_in_polygon(np.asarray(points, dtype=float), SQUARE).tolist() == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ([5, -1], [5, 1], True),  # straight across
        ([5, 1], [5, -1], True),  # across the other way (direction is the rule's business)
        ([5, -1], [5, 0], True),  # reaching the line counts
        ([5, 0], [5, 1], False),  # leaving it does not: counted once
        ([5, -1], [5, -0.5], False),  # not reaching it
        ([11, -1], [11, 1], False),  # beside the segment's end
        ([-1, -1], [11, 1], True),  # diagonal through it
    ],
)
def test_crossed_segment(start: list[float], end: list[float], expected: bool) -> None:
    assert crossed_segment(np.array([start], float), np.array([end], float), LINE)[0] == expected


def test_crossed_segment_empty() -> None:
    assert crossed_segment(np.empty((0, 2)), np.empty((0, 2)), LINE).shape == (0,)


def test_side_of_line_rejects_zero_length() -> None:
    with pytest.raises(ValueError, match="zero length"):
        side_of_line(np.array([[1.0, 1.0]]), [(3, 3), (3, 3)])


def test_points_must_be_n_by_2() -> None:
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        side_of_line(np.array([1.0, 2.0, 3.0]), LINE)


def test_homography_round_trip_and_error() -> None:
    rng = np.random.default_rng(0)
    truth = np.array([[0.02, 0.001, -3.0], [0.0005, 0.05, -1.0], [0.0001, 0.002, 1.0]])
    img = rng.uniform(0, 1000, size=(8, 2))
    world = project(truth, img)
    fitted, rms = fit_homography(img, world)
    assert rms < 1e-3  # pixels; float32 inside OpenCV limits it
    assert np.allclose(project(fitted, img), world, atol=1e-4)


@pytest.mark.parametrize(
    "image_points",
    [
        [(0, 0), (1, 1), (2, 2), (3, 3)],  # collinear
        [(0, 0), (0, 0), (0, 0), (0, 0)],  # repeated
        [(0, 0), (1, 0), (1, 1)],  # too few
    ],
)
def test_homography_degenerate(image_points: list[tuple[float, float]]) -> None:
    with pytest.raises(ValueError):
        fit_homography(image_points, [(0, 0), (1, 0), (1, 1), (0, 1)][: len(image_points)])


SOLID = [(0, 0), (10, 0), (20, 10)]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ([5, 1], [5, -1], 1),  # from the left of a→b (as side_of_line counts it)
        ([5, -1], [5, 1], -1),  # from the right
        ([5, 1], [5, 3], 0),  # stays on one side
        ([16, 4], [14, 6], -1),  # across the second segment
        ([10, 1], [10, -1], 1),  # through the shared vertex: counted once
        ([25, 1], [25, -1], 0),  # beyond the polyline's end
    ],
)
def test_polyline_crossing(start: list[float], end: list[float], expected: int) -> None:
    assert polyline_crossing(np.array([start], float), np.array([end], float), SOLID).tolist() == [expected]


@pytest.mark.parametrize(
    "polyline", [[(0, 0), (10, 0)], [(0, 0), (0, 0), (10, 0)], [(3, 3)]], ids=["segment", "repeated vertex", "point"]
)
def test_polyline_crossing_degenerate(polyline: list[tuple[float, float]]) -> None:
    moves = np.array([[5.0, 1.0]]), np.array([[5.0, -1.0]])
    expected = [0] if len(polyline) == 1 else [1]
    assert polyline_crossing(*moves, polyline).tolist() == expected
    assert polyline_crossing(np.empty((0, 2)), np.empty((0, 2)), polyline).shape == (0,)


def test_segment_crossing_matches_crossed_segment() -> None:
    rng = np.random.default_rng(1)
    start, end = rng.uniform(-5, 15, (200, 2)), rng.uniform(-5, 15, (200, 2))
    side = segment_crossing(start, end, LINE)
    assert np.array_equal(side != 0, crossed_segment(start, end, LINE))
    assert set(np.unique(side)) <= {-1, 0, 1}


def test_ground_plane_metres_and_horizon() -> None:
    # A road seen in perspective: 3.5 m lanes, edge lines converging to a horizon at y = 100.
    image = [(300, 700), (900, 700), (650, 300), (550, 300)]
    world = [(0, 0), (7, 0), (7, 20), (0, 20)]
    plane = GroundPlane.fit(image, world)
    assert plane.rms_px < 1e-6 and len(plane.residuals_px) == 4
    assert np.allclose(plane.to_image(plane.to_world(np.array(image, float))), image)
    assert plane.distance_m(np.array([[300.0, 700.0]]), np.array([[550.0, 300.0]])).round(6).tolist() == [20.0]
    assert plane.visible(np.array([[600.0, 400.0], [600.0, 50.0]])).tolist() == [True, False]
    grid = plane.grid((1280, 720), step_m=1.0)
    assert len(grid) > 10 and np.all((grid >= 0) & (grid <= 1280))
    assert plane.grid((1280, 720), step_m=1.0).shape[1:] == (2, 2)


def test_reprojection_errors_point_at_the_wrong_point() -> None:
    image = [(0, 0), (100, 0), (100, 100), (0, 100), (50, 50), (50, 0)]
    world = [(0, 0), (1, 0), (1, 1), (0, 1), (0.5, 0.5), (0.5, 0.3)]  # the last metres are wrong
    plane = GroundPlane.fit(image, world)
    assert int(np.argmax(plane.residuals_px)) == 5
