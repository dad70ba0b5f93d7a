"""wrong_way: sustained motion against the lane's legal direction — the fitted ground velocity
over `min_duration_s` points more than `min_angle_deg` away from the lane's arrow, covering at
least `min_distance_m`, and most single steps agree. A brief backward step is not enough.
Judged only where the ground is resolved finely enough (`max_m_per_px`): near the horizon one
pixel of box jitter is metres of apparent motion, and a queued car there would "reverse".
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from edge.core import SignalState, Track, TrackPoint, Violation
from edge.rules.motion import ground, spanning, velocity
from edge.rules.scene import Scene


class WrongWayConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_angle_deg: float = Field(default=120.0, ge=90, le=180, title="Angle against the lane")
    min_duration_s: float = Field(default=1.5, gt=0, title="Sustained for", description="Seconds.")
    min_distance_m: float = Field(default=3.0, gt=0, title="Distance against the lane", description="Metres.")
    step_agreement: float = Field(default=0.7, ge=0.5, le=1, title="Share of steps against the lane")
    max_m_per_px: float = Field(
        default=0.25, gt=0, title="Coarsest ground resolution",
        description="Metres one pixel may span at every point of the window; farther, not judged.",
    )


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cos = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def _judgeable(points: tuple[TrackPoint, ...], scene: Scene, config: WrongWayConfig) -> bool:
    """Long enough a window, all of it where the ground is resolved finely enough."""
    if len(points) < 3 or (points[-1].captured_at - points[0].captured_at).total_seconds() < config.min_duration_s:
        return False
    return not scene.metric or float(np.max(scene.metres_per_px([p.anchor for p in points]))) <= config.max_m_per_px


def wrong_way(
    track: Track, scene: Scene, signals: Mapping[str, SignalState], config: WrongWayConfig
) -> list[Violation]:
    del signals
    points = spanning(track.points, config.min_duration_s)
    if not _judgeable(points, scene, config):
        return []
    lanes = [scene.lane_at(p.anchor) for p in points]
    lane_id = max(set(lanes), key=lanes.count)
    if lane_id is None:
        return []
    vel = velocity(points, scene)
    if vel is None or vel.distance_m < config.min_distance_m:
        return []
    legal = scene.lane_direction_m(lane_id)
    angle = _angle_deg(vel.vector, legal)
    if angle <= config.min_angle_deg:
        return []
    steps = np.diff(ground(points, scene), axis=0)
    moving = steps[np.linalg.norm(steps, axis=1) > 1e-6]
    against = float(np.mean(moving @ legal < 0)) if len(moving) else 0.0
    if against < config.step_agreement:
        return []
    return [Violation.of("wrong_way", track, (lane_id, lane_id), (points[0], points[-1]), {
        "angle_deg": round(angle, 1), "distance_m": round(vel.distance_m, 2),
        "duration_s": round(vel.duration_s, 2), "speed_kmh": round(vel.speed * 3.6, 1),
    })]
