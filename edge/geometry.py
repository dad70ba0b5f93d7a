"""Pure, vectorised geometry on image points, lines and polygons.

Points are ``(N, 2)`` float arrays in pixels; every function accepts an empty array and
returns an empty result. Shapely does polygon work, OpenCV fits homographies; this module
only adapts their shapes to ours.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray

# A detector's box of a vehicle that a border cuts often ends a little short of that border: its
# boxes are coarse by about one cell of its output grid (1080 rows into a 512 input with stride
# 4: ~8 px). An edge within this share of the view's size of a border is taken as cut by it.
BORDER_SLACK = 0.012

__all__ = [
    "BORDER_SLACK",
    "GroundPlane",
    "anchor_points",
    "crossed_segment",
    "cut_by_border",
    "fit_homography",
    "points_in_polygon",
    "polygon_is_valid",
    "polyline_crossing",
    "project",
    "reprojection_errors",
    "segment_crossing",
    "side_of_line",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Int8Array = NDArray[np.int8]
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


def cut_by_border(
    xyxy: NDArray[np.floating], view: tuple[float, float, float, float], share: float = BORDER_SLACK,
) -> BoolArray:
    """(N, 4): whether each box's left, top, right and bottom edge lies within `share` of the
    view's (x0, y0, x1, y1) width or height of its border, i.e. is the border's, not the object's.

    >>> cut_by_border(np.array([[2, 40, 60, 99], [30, 30, 70, 70]]), (0, 0, 200, 100)).tolist()  # 2.4, 1.2 px
    [[True, False, False, True], [False, False, False, False]]
    """
    boxes = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    x0, y0, x1, y1 = view
    mx, my = share * (x1 - x0), share * (y1 - y0)
    cut = np.c_[boxes[:, 0] <= x0 + mx, boxes[:, 1] <= y0 + my, boxes[:, 2] >= x1 - mx, boxes[:, 3] >= y1 - my]
    return np.asarray(cut, dtype=bool)


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


def segment_crossing(
    start: NDArray[np.floating], end: NDArray[np.floating], line: Sequence[Sequence[float]]
) -> Int8Array:
    """Which side each move start[i]→end[i] crossed the segment a→b from: +1 left, -1 right, 0 none.

    "Left" is as seen walking from a to b (positive `side_of_line`). Crossing follows
    `crossed_segment`: reaching the line counts, leaving it does not.

    >>> line = [(0, 0), (10, 0)]
    >>> segment_crossing(np.array([[5, 1], [5, -1], [5, 1]]), np.array([[5, -1], [5, 1], [5, 2]]), line)
    array([ 1, -1,  0], dtype=int8)
    >>> segment_crossing(np.empty((0, 2)), np.empty((0, 2)), line)
    array([], dtype=int8)
    """
    p0 = _as_points(start)
    crossed = crossed_segment(p0, end, line)
    if len(p0) == 0:
        return np.zeros(0, dtype=np.int8)
    return np.where(crossed, np.sign(side_of_line(p0, line)), 0).astype(np.int8)


def polyline_crossing(
    start: NDArray[np.floating], end: NDArray[np.floating], polyline: Sequence[Sequence[float]]
) -> Int8Array:
    """Like `segment_crossing` for a polyline (a solid lane line): the side of the first segment crossed.

    Zero-length segments are skipped. A move through a shared vertex is counted once.

    >>> solid = [(0, 0), (10, 0), (20, 10)]
    >>> polyline_crossing(np.array([[5, 1], [16, 4], [5, 1]]), np.array([[5, -1], [14, 6], [5, 3]]), solid)
    array([ 1, -1,  0], dtype=int8)
    >>> polyline_crossing(np.empty((0, 2)), np.empty((0, 2)), solid)
    array([], dtype=int8)
    """
    p0, p1 = _as_points(start), _as_points(end)
    vertices = _as_points(polyline)
    result = np.zeros(len(p0), dtype=np.int8)
    for a, b in itertools.pairwise(vertices):
        if np.array_equal(a, b):
            continue
        todo = result == 0
        if not todo.any():
            break
        result[todo] = segment_crossing(p0[todo], p1[todo], [a, b])
    return result


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
    # Fitted world→image and inverted: least squares then weighs every point by its pixel error.
    # Clicks are the noisy part, and fitted the other way round, metres near the horizon (many
    # per pixel) would dominate and smear one bad click over all the residuals.
    import cv2  # noqa: PLC0415 -- here: the rules and the site model use this module without OpenCV

    found, _ = cv2.findHomography(world, img, method=0)
    if found is None or not np.all(np.isfinite(found)) or abs(np.linalg.det(found)) < 1e-12:
        raise ValueError("degenerate point set (collinear or repeated points)")
    matrix = np.asarray(np.linalg.inv(found), dtype=np.float64)
    matrix /= matrix[2, 2] if abs(matrix[2, 2]) > 1e-12 else 1.0
    rms = float(np.sqrt(np.mean(reprojection_errors(matrix, img, world) ** 2)))
    return matrix, rms


def reprojection_errors(
    image_to_world: NDArray[np.floating],
    image_points: NDArray[np.floating] | Sequence[Sequence[float]],
    world_points: NDArray[np.floating] | Sequence[Sequence[float]],
) -> FloatArray:
    """Per point, how far (pixels) its world coordinates land from where it was clicked.

    The worst point is usually the one whose metres were typed wrong.

    >>> h = np.diag([0.1, 0.1, 1.0])  # 10 px per metre
    >>> reprojection_errors(h, [(0, 0), (10, 0)], [(0, 0), (1, 0.3)])
    array([0., 3.])
    """
    img, world = _as_points(image_points), _as_points(world_points)
    back = project(np.linalg.inv(np.asarray(image_to_world, dtype=np.float64)), world)  # (N, 2) pixels
    return np.asarray(np.linalg.norm(back - img, axis=1), dtype=np.float64)


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
    # As cv2.perspectiveTransform computes it (a point at the horizon, w ≈ 0, maps to the origin),
    # in numpy so that the rules need no OpenCV.
    m = np.asarray(matrix, dtype=np.float64)
    homogeneous = pts @ m[:, :2].T + m[:, 2]  # [x, y, 1] @ m.T without building the column of ones (hot path)
    w = homogeneous[:, 2:]
    finite = np.abs(w) > np.finfo(np.float32).eps
    return np.where(finite, homogeneous[:, :2] / np.where(finite, w, 1.0), 0.0)


def _nice_step(span_m: float, max_lines: int = 25) -> float:
    for step in (0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0):
        if span_m / step <= max_lines:
            return step
    return 100.0


@dataclass(frozen=True, slots=True)
class GroundPlane:
    """The road as a plane: pixels ↔ metres, fitted from four or more ground points.

    Only pixels below the horizon map onto the road; `visible` says which do. `road_sign`
    is the sign of the projective depth on the road side (the fit points lie on the road).

    >>> plane = GroundPlane.fit([(0, 0), (100, 0), (100, 100), (0, 100)], [(0, 0), (2, 0), (2, 2), (0, 2)])
    >>> plane.to_world(np.array([[50, 100]])).round(9)
    array([[1., 2.]])
    >>> plane.distance_m(np.array([[0, 0]]), np.array([[100, 100]])).round(4)
    array([2.8284])
    >>> bool(plane.rms_px < 1e-6), plane.distance_m(np.empty((0, 2)), np.empty((0, 2))).shape
    (True, (0,))
    """

    image_to_world: FloatArray
    world_to_image: FloatArray
    world_points: FloatArray
    residuals_px: FloatArray
    road_sign: float

    @classmethod
    def fit(
        cls,
        image_points: NDArray[np.floating] | Sequence[Sequence[float]],
        world_points: NDArray[np.floating] | Sequence[Sequence[float]],
    ) -> GroundPlane:
        """Raises ValueError for fewer than 4 pairs or a degenerate set (see `fit_homography`)."""
        matrix, _ = fit_homography(image_points, world_points)
        img, world = _as_points(image_points), _as_points(world_points)
        depth = matrix[2, 0] * img[:, 0] + matrix[2, 1] * img[:, 1] + matrix[2, 2]
        sign = 1.0 if float(np.median(depth)) >= 0 else -1.0
        inverse = np.asarray(np.linalg.inv(matrix), dtype=np.float64)
        return cls(matrix, inverse, world, reprojection_errors(matrix, img, world), sign)

    @property
    def rms_px(self) -> float:
        """Root mean square of the residuals, pixels: the number a technician judges a fit by."""
        return float(np.sqrt(np.mean(self.residuals_px**2)))

    def to_world(self, pixels: NDArray[np.floating]) -> FloatArray:
        """Ground position (X, Y) in metres of each pixel; meaningless where not `visible`."""
        return project(self.image_to_world, pixels)

    def to_image(self, metres: NDArray[np.floating]) -> FloatArray:
        """Pixel of each ground position (X, Y) in metres."""
        return project(self.world_to_image, metres)

    def distance_m(self, start: NDArray[np.floating], end: NDArray[np.floating]) -> FloatArray:
        """Ground distance in metres between start[i] and end[i] (pixels), e.g. a track's travel."""
        return np.asarray(np.linalg.norm(self.to_world(end) - self.to_world(start), axis=1), dtype=np.float64)

    def visible(self, pixels: NDArray[np.floating]) -> BoolArray:
        """Which pixels lie on the road side of the horizon (above it nothing is on the ground).

        >>> plane = GroundPlane.fit([(0, 10), (10, 10), (8, 5), (2, 5)], [(0, 0), (1, 0), (1, 1), (0, 1)])
        >>> plane.visible(np.array([[5, 9], [5, -50]]))
        array([ True, False])
        """
        pts = _as_points(pixels)
        h = self.image_to_world
        depth = h[2, 0] * pts[:, 0] + h[2, 1] * pts[:, 1] + h[2, 2]
        return np.asarray(depth * self.road_sign > 0, dtype=bool)

    def grid(self, image_size: tuple[int, int], step_m: float | None = None) -> FloatArray:
        """Image segments ``(K, 2, 2)`` of the world lines X = k·step and Y = k·step.

        The grid covers the fit points' ground extent plus half of it on each side, where the
        fit can be trusted; segments are cut at the horizon and at the image border.

        >>> plane = GroundPlane.fit([(10, 10), (90, 10), (90, 90), (10, 90)], [(0, 0), (2, 0), (2, 2), (0, 2)])
        >>> grid = plane.grid((100, 100), step_m=1.0)  # X = 0, 1, 2 and Y = 0, 1, 2 fall inside the image
        >>> grid.shape, grid[0].round(6).tolist()
        ((6, 2, 2), [[10.0, 0.0], [10.0, 100.0]])
        """
        lo, hi = self.world_points.min(axis=0), self.world_points.max(axis=0)
        span = hi - lo
        lo, hi = lo - span / 2, hi + span / 2
        step = step_m if step_m is not None else _nice_step(float(span.max()) * 2)
        xs = np.arange(np.ceil(lo[0] / step) * step, hi[0] + 1e-9, step)
        ys = np.arange(np.ceil(lo[1] / step) * step, hi[1] + 1e-9, step)
        world = [((x, lo[1]), (x, hi[1])) for x in xs] + [((lo[0], y), (hi[0], y)) for y in ys]
        return self._image_segments(np.asarray(world, dtype=np.float64).reshape(-1, 2, 2), image_size)

    def _image_segments(self, world: FloatArray, image_size: tuple[int, int]) -> FloatArray:
        # Projective depth is affine along a world segment, so the part in front of the
        # camera is one interval of t; a straight world segment stays straight in the image.
        h = self.world_to_image
        depth = (world @ h[2, :2] + h[2, 2]) * self.road_sign  # (K, 2)
        eps = 1e-6 * np.abs(depth).max(initial=1.0)
        d0, d1 = depth[:, 0], depth[:, 1]
        keep = (d0 > eps) | (d1 > eps)
        t_cut = np.clip((eps - d0) / np.where(d1 == d0, 1.0, d1 - d0), 0.0, 1.0)
        a = np.where((d0 > eps)[:, None], world[:, 0], world[:, 0] + t_cut[:, None] * (world[:, 1] - world[:, 0]))
        b = np.where((d1 > eps)[:, None], world[:, 1], world[:, 0] + t_cut[:, None] * (world[:, 1] - world[:, 0]))
        a, b = a[keep], b[keep]
        if len(a) == 0:
            return np.empty((0, 2, 2), dtype=np.float64)
        lines = shapely.linestrings(np.stack([self.to_image(a), self.to_image(b)], axis=1))
        clipped = shapely.intersection(lines, shapely.box(0, 0, image_size[0], image_size[1]))
        kept = [g for g in clipped if isinstance(g, shapely.LineString) and not g.is_empty]
        out = [shapely.get_coordinates(g)[[0, -1]] for g in kept]
        return np.asarray(out, dtype=np.float64).reshape(-1, 2, 2)
