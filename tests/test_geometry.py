"""Table tests of the pure geometry, each with its empty and degenerate rows."""

from __future__ import annotations

import numpy as np
import pytest

from edge.geometry import crossed_segment, fit_homography, points_in_polygon, project, side_of_line

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
