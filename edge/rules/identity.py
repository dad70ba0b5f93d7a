"""Which vehicle each track is, so that one vehicle's act is charged once however it was tracked.

Two ways one vehicle becomes two tracks:
- an id switch: the tracker loses it and finds it again under a new id. A new track that starts
  where a recently lost one would be by now (its last position moved on at its last velocity)
  is that vehicle.
- a duplicate: the detector boxes one vehicle twice at once (a truck's box and a wider one around
  it, a rider and the motorcycle), and both boxes live as tracks. Two live tracks whose smaller
  box lies inside the larger and whose ground positions agree, for a moment, are one vehicle.
  Two real vehicles rarely do both: one seen behind another stands metres further along the road.

A vehicle is named by the first track id it had. Pure bookkeeping, dropped with the tracks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from edge.core import Track, TrackUpdate
from edge.rules.config import ReidConfig
from edge.rules.motion import velocity, window
from edge.rules.scene import Scene

_REID_VELOCITY_S = 1.0  # seconds of a track's end its velocity is fitted over


@dataclass(frozen=True, slots=True)
class _Seen:
    vehicle: int
    position_m: tuple[float, float]
    at: datetime
    track: Track  # for its velocity, fitted only if a new track is ever compared with it


def inside_share(boxes: NDArray[np.float64]) -> NDArray[np.float64]:
    """[i, j]: the share of the smaller of boxes i and j that lies inside the other (0 on the diagonal).

    >>> inside_share(np.array([[0, 0, 10, 10], [2, 2, 6, 6], [20, 0, 30, 10]], dtype=float)).round(2)
    array([[0., 1., 0.],
           [1., 0., 0.],
           [0., 0., 0.]])
    """
    x0, y0, x1, y1 = (boxes[:, k] for k in range(4))
    w = np.clip(np.minimum(x1[:, None], x1[None]) - np.maximum(x0[:, None], x0[None]), 0, None)
    h = np.clip(np.minimum(y1[:, None], y1[None]) - np.maximum(y0[:, None], y0[None]), 0, None)
    area = (x1 - x0) * (y1 - y0)
    smaller = np.minimum(area[:, None], area[None])
    share = np.where(smaller > 0, w * h / np.where(smaller > 0, smaller, 1.0), 0.0)
    np.fill_diagonal(share, 0.0)
    return np.asarray(share, dtype=np.float64)


class Vehicles:
    def __init__(self, scene: Scene, config: ReidConfig) -> None:
        self._scene = scene
        self._config = config
        self._vehicle_of: dict[int, int] = {}  # live track id → vehicle id
        self._last_seen: dict[int, _Seen] = {}  # track id → where and when
        self._together: dict[tuple[int, int], datetime] = {}  # (inner, outer) track ids → one inside since

    def of(self, track_id: int) -> int:
        return self._vehicle_of[track_id]

    def update(self, update: TrackUpdate) -> list[tuple[int, int]]:
        """Name the vehicle of every active track; returns the vehicles found to be one this
        update, as (kept, joined) pairs, for the caller to merge what it keeps per vehicle."""
        active = {t.id for t in update.active}
        ground = self._scene.metres([t.last.anchor for t in update.active])  # once, for both uses below
        for track, pos in zip(update.active, ground, strict=True):
            if track.id not in self._vehicle_of:
                self._vehicle_of[track.id] = self._match_lost(track, active)
            self._last_seen[track.id] = _Seen(self._vehicle_of[track.id], (float(pos[0]), float(pos[1])),
                                              track.last.captured_at, track)
        return self._join_duplicates(update.active, ground)

    def _match_lost(self, track: Track, active: set[int]) -> int:
        """The vehicle of a recently lost track that ended where this one starts, else a new vehicle."""
        first = track.points[0]
        start = self._scene.metres([first.anchor])[0]
        cfg = self._config
        best, best_distance = track.id, cfg.max_distance_m
        for other_id, seen in self._last_seen.items():
            if other_id in active:
                continue
            gap = (first.captured_at - seen.at).total_seconds()
            if not 0 <= gap <= cfg.max_gap_s:
                continue
            # A truck at 40 km/h lost for 0.4 s is 4.4 m on: compare with where it would be now.
            vel = velocity(window(seen.track.points, _REID_VELOCITY_S), self._scene)
            ahead = np.asarray(seen.position_m) + (vel.vector * gap if vel is not None else 0.0)
            distance = float(np.hypot(*(start - ahead)))
            if distance <= best_distance:
                best, best_distance = seen.vehicle, distance
        return best

    def _join_duplicates(self, tracks: tuple[Track, ...], ground: NDArray[np.float64]) -> list[tuple[int, int]]:
        """`ground`: each track's last position in metres, in the order of `tracks`."""
        cfg = self._config
        if len(tracks) < 2 or cfg.duplicate_inside <= 0:
            self._together = {}
            return []
        boxes = np.array([t.last.xyxy for t in tracks], dtype=np.float64)
        share = inside_share(boxes)
        apart = np.linalg.norm(ground[:, None] - ground[None], axis=2)
        areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        now = max(t.last.captured_at for t in tracks)
        together: dict[tuple[int, int], datetime] = {}
        joined = []
        for i, j in zip(*np.nonzero(np.triu((share >= cfg.duplicate_inside) & (apart <= cfg.duplicate_distance_m))),
                        strict=True):
            inner, outer = (tracks[i], tracks[j]) if areas[i] <= areas[j] else (tracks[j], tracks[i])
            key = (inner.id, outer.id)
            together[key] = since = self._together.get(key, now)
            if (now - since).total_seconds() >= cfg.duplicate_s:
                pair = self._join(inner.id, outer.id)
                if pair is not None:
                    joined.append(pair)
        self._together = together
        return joined

    def _join(self, a: int, b: int) -> tuple[int, int] | None:
        """Make the vehicles of tracks a and b one (the older name is kept)."""
        va, vb = self._vehicle_of[a], self._vehicle_of[b]
        if va == vb:
            return None
        kept, joined = min(va, vb), max(va, vb)
        for track_id, vehicle in self._vehicle_of.items():
            if vehicle == joined:
                self._vehicle_of[track_id] = kept
        for track_id, seen in self._last_seen.items():
            if seen.vehicle == joined:
                self._last_seen[track_id] = replace(seen, vehicle=kept)
        return kept, joined

    def forget(self, ended: tuple[int, ...], now: datetime | None) -> set[int]:
        """Ended tracks stay matchable for `max_gap_s` (a new id may appear after the old ended).
        Returns the vehicles still known."""
        for track_id in ended:
            self._vehicle_of.pop(track_id, None)
        horizon = self._config.max_gap_s
        for track_id, seen in list(self._last_seen.items()):
            gone = track_id not in self._vehicle_of
            if gone and (now is None or (now - seen.at).total_seconds() > horizon):
                del self._last_seen[track_id]
        return set(self._vehicle_of.values()) | {s.vehicle for s in self._last_seen.values()}
