"""The vectorised signed distance of solid_line against the walk along the line that shapely does
(project, then the segment holding that point): the same figures, ties at a vertex included."""

from __future__ import annotations

import numpy as np
import shapely

from edge.rules.solid_line import _signed_distances


def by_walking(line_m: shapely.LineString, xy: np.ndarray) -> np.ndarray:
    coords = np.asarray(line_m.coords)
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(coords, axis=0), axis=1))])
    out = np.empty(len(xy))
    for i, (x, y) in enumerate(xy):
        point = shapely.Point(x, y)
        seg = int(np.clip(np.searchsorted(cum, line_m.project(point), side="right") - 1, 0, len(coords) - 2))
        (ax, ay), (bx, by) = coords[seg], coords[seg + 1]
        out[i] = np.sign((bx - ax) * (y - ay) - (by - ay) * (x - ax)) * line_m.distance(point)
    return out


def test_the_same_as_walking_the_line_on_random_polylines() -> None:
    rng = np.random.default_rng(7)
    for _ in range(500):
        line = shapely.LineString(np.cumsum(rng.normal(0, 5, (int(rng.integers(2, 6)), 2)), axis=0))
        xy = rng.normal(0, 12, (40, 2))
        np.testing.assert_allclose(_signed_distances(line, xy), by_walking(line, xy), atol=1e-9)
