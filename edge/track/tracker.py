"""Tracker adapter: the `trackers` package's ByteTrack plus the per-track history rules need.

ByteTrack (trackers 2.6.1, Apache-2.0) is torch-free, consumes the same columnar
`sv.Detections` our detectors produce, and allocates ids per instance (one tracker per
camera never shares ids with another). We add what it does not keep: each track's recent
positions and a confidence-weighted class vote, bounded in time and dropped with the track.

A point's `anchor` is the front of the vehicle's ground footprint (`edge.footprint`) when the
site has a ground plane, else the box's bottom centre. A box whose bottom the image border
cuts has no footprint, and a box detected as another class than the track's vote was
explained by another size: both stay in the track's `seen` path (the evidence crops it, it
may show the plate best) but not in `points`, which rules measure. The one exception is a
vehicle that stopped where the border cuts it: while its box stays still it is held at its last
measured footprint (`edge.track.hold`), so a rule timing how long it stands sees it stand.
"""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime

import numpy as np
import supervision as sv
from trackers import ByteTrackTracker

from edge.core import Track, TrackPoint, TrackUpdate
from edge.footprint import Estimate, Footprint
from edge.geometry import anchor_points
from edge.track.config import RIDER_MIN_S, RIDER_WINDOW_S, TrackerConfig
from edge.track.hold import StillHold

RIDER, MOTORCYCLE = "person", "motorcycle"
_TWO_WHEELER = frozenset({RIDER, MOTORCYCLE, "bicycle"})  # the names a motorcycle with its rider is boxed as
# A step between two detector calls faster than this (m/s), and than _JUMP_FACTOR times the track's
# speed over the window, is a jump (an id switch), not motion. Relative too: a rider at 90 km/h
# (25 m/s) makes steps of up to 55 m/s from box jitter alone (tune 111: 2.2x its speed).
_JUMP_MPS = 30.0
_JUMP_FACTOR = 3.0


class VehicleTracker:
    """One per camera. `update` takes the detector's output for one frame."""

    def __init__(self, config: TrackerConfig, fps: float, footprint: Footprint | None = None) -> None:
        """`fps`: the rate of `update` calls (the detector's), `footprint`: the site's, if it has a ground plane."""
        self._config = config
        self._footprint = footprint
        # trackers counts its buffer in 30 fps frames and rescales by frame_rate.
        self._tracker = ByteTrackTracker(
            lost_track_buffer=max(1, round(config.lost_track_s * 30)),
            frame_rate=fps,
            track_activation_threshold=config.activation_threshold,
            minimum_consecutive_frames=config.minimum_consecutive_frames,
            minimum_iou_threshold=config.minimum_iou,
            high_conf_det_threshold=config.high_confidence,
        )
        self._max_points = max(2, round(config.history_s * fps))
        self._fps = fps
        self._history: dict[int, deque[TrackPoint]] = {}  # measurable points
        self._path: dict[int, deque[TrackPoint]] = {}  # every box
        self._votes: dict[int, defaultdict[str, float]] = {}
        self._last_seen: dict[int, datetime] = {}
        self._riders: set[int] = set()  # "person" tracks found moving at a motorcycle's speed
        self._hold = StillHold(config.hold_within_s, config.hold_tolerance)

    def _anchors(self, xyxy: np.ndarray, names: np.ndarray) -> Estimate:
        if self._footprint is None:
            bottoms = anchor_points(xyxy)
            return Estimate(bottoms, bottoms, np.ones(len(xyxy), dtype=bool))
        return self._footprint.estimate(xyxy, [str(n) for n in names])

    def update(self, detections: sv.Detections, frame_index: int, captured_at: datetime) -> TrackUpdate:
        tracked = self._tracker.update(detections)
        ids = np.asarray(tracked.tracker_id if tracked.tracker_id is not None else [], dtype=int)
        names = tracked.data.get("class_name", np.array(["unknown"] * len(tracked)))
        feet = self._anchors(np.asarray(tracked.xyxy, dtype=np.float64), np.asarray(names))
        anchors, centres, measurable = feet.front, feet.centre, feet.ok
        fits = feet.size_fit if feet.size_fit is not None else np.full(len(tracked), np.nan)
        top_cut = feet.top_cut if feet.top_cut is not None else np.zeros(len(tracked), dtype=bool)
        confidences = tracked.confidence if tracked.confidence is not None else np.ones(len(tracked))
        active = []
        for row in np.flatnonzero(ids >= 0):
            track_id = int(ids[row])
            point = TrackPoint(
                frame_index=frame_index,
                captured_at=captured_at,
                xyxy=tuple(float(v) for v in tracked.xyxy[row]),  # type: ignore[arg-type]
                anchor=(float(anchors[row, 0]), float(anchors[row, 1])),
                confidence=float(confidences[row]),
                class_name=str(names[row]),
                centre=(float(centres[row, 0]), float(centres[row, 1])),
                size_fit=float(fits[row]) if np.isfinite(fits[row]) else None,
                top_cut=bool(top_cut[row]),
            )
            path = self._path.setdefault(track_id, deque(maxlen=self._max_points))
            path.append(point)
            history = self._history.setdefault(track_id, deque(maxlen=self._max_points))
            if measurable[row]:
                history.append(point)
                self._hold.measured(track_id)
            elif self._config.hold_within_s > 0:
                held = self._hold.point(track_id, point, history[-1] if history else None)
                if held is not None:
                    history.append(held)
            votes = self._votes.setdefault(track_id, defaultdict(float))
            votes[point.class_name] += point.confidence
            self._last_seen[track_id] = captured_at
            name = max(votes, key=votes.__getitem__)
            judged = MOTORCYCLE if name == RIDER and self._is_rider(track_id, history) else name
            # Only points detected as the voted class are measured: a car boxed as a truck now and
            # then is explained by another size and another bottom edge, and mixing them makes a
            # vehicle jump, speed or stop. A motorcycle's boxes are one size whatever they are named
            # (its rider's "person" box holds the motorcycle too: `edge.footprint.DEFAULT_SIZES`), so
            # all of a two-wheeler's are measured: the detector names a rider "person" about half the
            # time, and measuring one name only lost the crossing or the speed of 12 of 19 motorcycles
            # boxed through their act and never charged (tune 131-150).
            same = _TWO_WHEELER if judged == MOTORCYCLE else {name}
            measured = tuple(p for p in history if p.class_name in same)
            if measured:
                active.append(Track(id=track_id, class_name=judged, points=measured, seen=tuple(path),
                                    label=name if judged != name else None))
        return TrackUpdate(active=tuple(active), ended=self._prune(captured_at))

    def _is_rider(self, track_id: int, history: deque[TrackPoint]) -> bool:
        """Once a "person" track has moved along the road at `rider_speed_kmh`, as far as that speed
        goes in a second (in half a second at least), it is a rider for good (a pedestrian walks at
        5 km/h, a motorcycle stops at lights)."""
        if track_id in self._riders:
            return True
        if self._footprint is None or self._config.rider_speed_kmh <= 0:
            return False
        recent: list[TrackPoint] = []
        for point in reversed(history):
            if point.class_name != RIDER:
                continue
            recent.append(point)
            if (recent[0].captured_at - point.captured_at).total_seconds() >= RIDER_WINDOW_S:
                break
        if len(recent) < 2:
            return False
        times = np.array([(p.captured_at - recent[-1].captured_at).total_seconds() for p in reversed(recent)])
        if times[-1] < RIDER_MIN_S:
            return False
        ground = self._footprint.plane.to_world(np.array([p.middle for p in reversed(recent)], dtype=np.float64))
        steps = np.linalg.norm(np.diff(ground, axis=0), axis=1) / np.maximum(np.diff(times), 1e-6)
        distance = float(np.linalg.norm(ground[-1] - ground[0]))
        rider_mps = self._config.rider_speed_kmh / 3.6
        speed = distance / times[-1]
        far_enough = distance >= rider_mps * RIDER_WINDOW_S  # at exactly the rider speed: the whole second
        if bool(np.all(steps < max(_JUMP_MPS, _JUMP_FACTOR * speed))) and speed >= rider_mps and far_enough:
            self._riders.add(track_id)
            return True
        return False

    def _prune(self, now: datetime) -> tuple[int, ...]:
        # A track unseen for longer than ByteTrack keeps it lost is gone for good. Time, not
        # frame numbers: updates come every detector step, frame indexes count camera frames.
        horizon = self._config.lost_track_s + 1.0 / self._fps
        ended = tuple(t for t, seen in self._last_seen.items() if (now - seen).total_seconds() > horizon)
        for track_id in ended:
            del self._history[track_id], self._path[track_id], self._votes[track_id], self._last_seen[track_id]
            self._riders.discard(track_id)
        self._hold.forget(ended)
        return ended

    def flush(self) -> tuple[int, ...]:
        """End every track (end of stream)."""
        ended = tuple(self._last_seen)
        for table in (self._history, self._path, self._votes, self._last_seen):
            table.clear()
        self._riders.clear()
        self._hold.clear()
        return ended
