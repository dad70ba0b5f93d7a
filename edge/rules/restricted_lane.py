"""restricted_lane: a vehicle of a class not allowed in a lane — a busway (only buses), a
motorcycle or truck ban — while the restriction's time windows hold, in the site's time zone.
The lane's own permanent `allowed_classes` count too. The vehicle must have stayed in the lane
for `min_inside_s`, so clipping a busway's corner while changing lanes is not an offence.
The class is judged only where the camera sees the vehicle large (`max_m_per_px`, as the
speed trap): far away the detector's class is a guess (a bus reads as a truck), and a track's
class vote made of far detections alone must not ticket a bus in its own busway.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from edge.rules.motion import inside_since, seconds_between
from edge.rules.scene import Scene
from edge.rules.types import SignalState, Violation
from edge.track import Track


class RestrictedLaneConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_inside_s: float = Field(default=1.0, ge=0, title="Inside the lane for", description="Seconds.")
    max_m_per_px: float = Field(
        default=0.1, gt=0, title="Coarsest ground resolution",
        description="Judged only where one pixel spans at most this many metres: the near part of the "
        "image, where the vehicle is big enough for its class to be trusted.",
    )


def restricted_lane(
    track: Track, scene: Scene, signals: Mapping[str, SignalState], config: RestrictedLaneConfig
) -> list[Violation]:
    del signals
    if not track.points:
        return []
    now = track.last
    lane_id = scene.lane_at(now.anchor)
    if lane_id is None or scene.metres_per_px([now.anchor])[0] > config.max_m_per_px:
        return []
    entered = inside_since(track, scene, (lane_id,), config.min_inside_s)
    if entered is None or seconds_between(entered, now) < config.min_inside_s:
        return []
    found = []
    lane = scene.lane(lane_id)
    if track.class_name not in lane.allowed_classes:
        found.append(Violation.of("restricted_lane", track, (lane_id, lane_id), (entered, now), {
            "restriction": lane_id, "restriction_kind": "lane_classes", "class": track.class_name,
            "allowed": ",".join(lane.allowed_classes),
        }))
    for rule in scene.calibration.restrictions:
        if rule.kind == "odd_even" or lane_id not in rule.lanes or track.class_name in rule.exempt_classes:
            continue
        if not scene.restriction_active(rule, now.captured_at):
            continue
        found.append(Violation.of("restricted_lane", track, (lane_id, rule.id), (entered, now), {
            "restriction": rule.id, "restriction_kind": rule.kind, "class": track.class_name,
            "allowed": ",".join(rule.exempt_classes), "windows": "; ".join(rule.windows) or "always",
        }))
    return found
