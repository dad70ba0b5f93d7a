"""Pure measurements over a track's recent points: ground positions, velocity, standing still.

Velocity is a least-squares line through the positions of a time window, not the last step:
one noisy detection box must not make a vehicle speed, reverse or stop.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from edge.core import Track, TrackPoint
from edge.rules.scene import Scene


@dataclass(frozen=True, slots=True)
class Velocity:
    """Ground velocity over a window: m/s vector, speed, standard error of the speed (m/s)."""

    vector: NDArray[np.float64]
    speed: float
    stderr: float
    duration_s: float
    distance_m: float
    points: int


def window(points: tuple[TrackPoint, ...], seconds: float) -> tuple[TrackPoint, ...]:
    """The trailing points spanning at most `seconds` back from the newest."""
    if not points:
        return ()
    newest = points[-1].captured_at
    start = len(points)
    while start > 0 and (newest - points[start - 1].captured_at).total_seconds() <= seconds + 1e-9:
        start -= 1
    return points[start:]


def spanning(points: tuple[TrackPoint, ...], seconds: float) -> tuple[TrackPoint, ...]:
    """The trailing points from the newest one at least `seconds` old: a window that spans
    `seconds` whatever the frame rate (`window` spans at most that, e.g. 1.47 s of a 1.5 s window
    at 15 fps); empty when the track is younger.

    >>> from datetime import UTC, datetime, timedelta
    >>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
    >>> pts = tuple(TrackPoint(i, t0 + timedelta(seconds=i / 15), (0, 0, 1, 1), (0, 0), 1.0, "car") for i in range(30))
    >>> [p.frame_index for p in spanning(pts, 1.5)][:2], len(window(pts, 1.5)), spanning(pts[:20], 1.5)
    ([6, 7], 23, ())
    """
    if not points:
        return ()
    newest = points[-1].captured_at
    for start in range(len(points) - 1, -1, -1):
        if (newest - points[start].captured_at).total_seconds() >= seconds - 1e-9:
            return points[start:]
    return ()


def times(points: tuple[TrackPoint, ...]) -> NDArray[np.float64]:
    t0 = points[0].captured_at
    return np.asarray([(p.captured_at - t0).total_seconds() for p in points], dtype=np.float64)


def ground(points: tuple[TrackPoint, ...], scene: Scene) -> NDArray[np.float64]:
    return scene.metres([p.anchor for p in points]) if points else np.empty((0, 2))


def velocity(points: tuple[TrackPoint, ...], scene: Scene) -> Velocity | None:
    """Least-squares velocity of the points; None with fewer than 3 points or no elapsed time."""
    if len(points) < 3:
        return None
    t = times(points)
    if t[-1] <= 0:
        return None
    xy = ground(points, scene)
    design = np.column_stack([t, np.ones_like(t)])
    coef, _, _, _ = np.linalg.lstsq(design, xy, rcond=None)
    vec = coef[0]
    speed = float(np.linalg.norm(vec))
    residual = xy - design @ coef
    dof = max(1, len(t) - 2)
    sigma2 = float(np.sum(residual**2) / (2 * dof))  # per-axis residual variance
    stderr = float(np.sqrt(sigma2 / np.sum((t - t.mean()) ** 2)))
    return Velocity(vector=np.asarray(vec, dtype=np.float64), speed=speed, stderr=stderr,
                    duration_s=float(t[-1]), distance_m=float(np.linalg.norm(xy[-1] - xy[0])), points=len(t))


def stationary_since(points: tuple[TrackPoint, ...], scene: Scene, radius_m: float) -> int | None:
    """Index of the first point of the trailing run that stays within `radius_m` of the newest
    position; None if the vehicle moved more than that in its last step."""
    if len(points) < 2:
        return None
    xy = ground(points, scene)
    near = np.linalg.norm(xy - xy[-1], axis=1) <= radius_m
    if not near[-2]:
        return None
    start = len(points) - 1
    while start > 0 and near[start - 1]:
        start -= 1
    return start


def median_size_fit(points: Collection[TrackPoint]) -> float | None:
    """Median over `points` of a box's height over its class's typical cuboid's (`TrackPoint.size_fit`);
    None when no point has one (no ground plane, or every top cut)."""
    fits = [p.size_fit for p in points if p.size_fit is not None]
    return float(np.median(fits)) if fits else None


def seconds_between(a: TrackPoint, b: TrackPoint) -> float:
    return (b.captured_at - a.captured_at).total_seconds()


def inside_since(track: Track, scene: Scene, lanes: Collection[str], enough_s: float) -> TrackPoint | None:
    """First point of the trailing run of points inside any of `lanes`, looking back no further
    than `enough_s`: older points cannot change a "long enough" verdict."""
    start = None
    for point in reversed(track.points):
        if scene.lane_at(point.anchor) not in lanes:
            break
        start = point
        if seconds_between(point, track.last) >= enough_s:
            break
    return start
