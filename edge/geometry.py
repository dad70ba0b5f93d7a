"""Pure, vectorised geometry on image points, lines and polygons.

Points are ``(N, 2)`` float arrays in pixels; every function accepts an empty array and
returns an empty result. Shapely does polygon work, OpenCV fits homographies; this module
only adapts their shapes to ours.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = [
    "anchor_points",
    "crossed_segment",
    "fit_homography",
    "points_in_polygon",
    "polygon_is_valid",
    "project",
    "side_of_line",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
PointLike = Sequence[float] | NDArray[np.floating]


def _as_points(points: NDArray[np.floating] | Sequence[Sequence[float]]) -> FloatArray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"expected points of shape (N, 2), got {arr.shape}")
    return arr


def anchor_points(xyxy: NDArray[np.floating]) -> FloatArray:
    """Bottom centre of each box: where a vehicle touches the road, the point rules judge.

    >>> anchor_points(np.array([[10, 20, 30, 60]]))
    array([[20., 60.]])
    >>> anchor_points(np.empty((0, 4))).shape
    (0, 2)
    """
    boxes = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2.0, boxes[:, 3]], axis=1)


def points_in_polygon(points: NDArray[np.floating], polygon: Sequence[Sequence[float]]) -> BoolArray:
    """Which points lie inside (or on the edge of) a polygon.

    >>> square = [(0, 0), (10, 0), (10, 10), (0, 10)]
    >>> points_in_polygon(np.array([[5, 5], [15, 5], [10, 5]]), square)
    array([ True, False,  True])
    >>> points_in_polygon(np.empty((0, 2)), square)
    array([], dtype=bool)
    """
    pts = _as_points(points)
    if len(pts) == 0:
        return np.zeros(0, dtype=bool)
    poly = shapely.Polygon(polygon)
    inside = shapely.contains_xy(poly, pts[:, 0], pts[:, 1])
    on_edge = shapely.intersects_xy(poly.boundary, pts[:, 0], pts[:, 1])
    return np.asarray(inside | on_edge, dtype=bool)


def polygon_is_valid(polygon: Sequence[Sequence[float]]) -> str | None:
    """None if the polygon is simple (no self-intersection, positive area), else shapely's reason.

    >>> polygon_is_valid([(0, 0), (10, 0), (10, 10), (0, 10)]) is None
    True
    >>> polygon_is_valid([(0, 0), (10, 10), (10, 0), (0, 10)])
    'Self-intersection[5 5]'
    >>> polygon_is_valid([(0, 0), (5, 5), (10, 10)])
    'Self-intersection[5 5]'
    """
    poly = shapely.Polygon(polygon)
    return None if poly.is_valid else str(shapely.is_valid_reason(poly))


def side_of_line(points: NDArray[np.floating], line: Sequence[Sequence[float]]) -> FloatArray:
    """Signed side of each point relative to the directed line a→b: >0 left, <0 right, 0 on it.

    The value is the cross product divided by the line's length, i.e. the signed distance
    in pixels, so thresholds (hysteresis margins) can be stated in pixels.

    >>> side_of_line(np.array([[5, -2], [5, 3], [5, 0]]), [(0, 0), (10, 0)])
    array([-2.,  3.,  0.])
    >>> side_of_line(np.empty((0, 2)), [(0, 0), (10, 0)]).shape
    (0,)
    """
    pts = _as_points(points)
    (ax, ay), (bx, by) = np.asarray(line, dtype=np.float64)
    length = float(np.hypot(bx - ax, by - ay))
    if length == 0.0:
        raise ValueError("line has zero length")
    cross = (bx - ax) * (pts[:, 1] - ay) - (by - ay) * (pts[:, 0] - ax)
    return np.asarray(cross / length, dtype=np.float64)


def crossed_segment(
    start: NDArray[np.floating], end: NDArray[np.floating], line: Sequence[Sequence[float]]
) -> BoolArray:
    """Whether each move start[i]→end[i] crosses the finite segment `line`.

    A move that ends exactly on the line counts as crossing; one that starts on it does not,
    so a vehicle standing on the line is counted once, when it reaches it.

    >>> line = [(0, 0), (10, 0)]
    >>> crossed_segment(np.array([[5, -1], [5, -1], [15, -1]]), np.array([[5, 1], [5, -2], [15, 1]]), line)
    array([ True, False, False])
    >>> crossed_segment(np.empty((0, 2)), np.empty((0, 2)), line)
    array([], dtype=bool)
    """
    p0, p1 = _as_points(start), _as_points(end)
    if len(p0) == 0:
        return np.zeros(0, dtype=bool)
    s0, s1 = side_of_line(p0, line), side_of_line(p1, line)
    changes_side = (s0 != 0) & (np.sign(s0) != np.sign(s1))
    # The move's own line must separate the segment's end points, else it passes beside it.
    a, b = np.asarray(line, dtype=np.float64)
    da = (p1[:, 0] - p0[:, 0]) * (a[1] - p0[:, 1]) - (p1[:, 1] - p0[:, 1]) * (a[0] - p0[:, 0])
    db = (p1[:, 0] - p0[:, 0]) * (b[1] - p0[:, 1]) - (p1[:, 1] - p0[:, 1]) * (b[0] - p0[:, 0])
    within = np.sign(da) != np.sign(db)
    return np.asarray(changes_side & within, dtype=bool)


def fit_homography(
    image_points: NDArray[np.floating] | Sequence[Sequence[float]],
    world_points: NDArray[np.floating] | Sequence[Sequence[float]],
) -> tuple[FloatArray, float]:
    """Image→ground homography (least squares over all points) and its RMS reprojection error.

    The error is measured back in the image, in pixels, which is what a technician can see.
    Raises ValueError for fewer than 4 points or a degenerate (e.g. collinear) set.

    >>> img = [(0, 0), (100, 0), (100, 100), (0, 100)]
    >>> h, err = fit_homography(img, [(0, 0), (1, 0), (1, 1), (0, 1)])
    >>> project(h, np.array([[50, 50]])).round(6)
    array([[0.5, 0.5]])
    >>> err < 1e-6
    True
    """
    img, world = _as_points(image_points), _as_points(world_points)
    if len(img) < 4 or len(img) != len(world):
        raise ValueError("need at least 4 image points and as many world points")
    matrix, _ = cv2.findHomography(img, world, method=0)
    if matrix is None or abs(np.linalg.det(matrix)) < 1e-12:
        raise ValueError("degenerate point set (collinear or repeated points)")
    back = project(np.linalg.inv(matrix), world)
    rms = float(np.sqrt(np.mean(np.sum((back - img) ** 2, axis=1))))
    return np.asarray(matrix, dtype=np.float64), rms


def project(matrix: NDArray[np.floating], points: NDArray[np.floating]) -> FloatArray:
    """Apply a 3×3 homography to (N, 2) points.

    >>> project(np.eye(3), np.array([[1.0, 2.0]]))
    array([[1., 2.]])
    >>> project(np.eye(3), np.empty((0, 2))).shape
    (0, 2)
    """
    pts = _as_points(points)
    if len(pts) == 0:
        return pts
    out = cv2.perspectiveTransform(pts.reshape(-1, 1, 2), np.asarray(matrix, dtype=np.float64))
    return np.asarray(out.reshape(-1, 2), dtype=np.float64)
