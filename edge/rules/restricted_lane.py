"""restricted_lane: a vehicle of a class not allowed in a lane — a busway (only buses), a
motorcycle or truck ban — while the restriction's time windows hold, in the site's time zone.
The lane's own permanent `allowed_classes` count too. One act, one charge: a vehicle in a lane
gets ONE violation naming every restriction it breaks there (`restrictions`, `restriction_kinds`),
and the event names every article (`edge.evidence.event`). The vehicle must have stayed in the lane
for `min_inside_s`, so clipping a busway's corner while changing lanes is not an offence.
The class is judged only where the camera sees the vehicle large (`max_m_per_px`, as the
speed trap), and only from the detections made there: far away the detector's class is a guess
(a bus reads as a truck, a car with a tall load as one), and a class vote made of far
detections must not ticket a bus in its own busway or a car under a truck ban. Where the site
has a ground plane, the class must also explain the boxes' size (`size_fit`): a car the
detector calls a truck fills a third of a truck's height, a bus called a car twice a car's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from edge.core import SignalState, Track, Violation
from edge.rules.motion import inside_since, median_size_fit, seconds_between
from edge.rules.scene import Scene

LARGE = frozenset({"truck", "bus"})  # the classes a car is mistaken for that a ban or busway turns on


class RestrictedLaneConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_inside_s: float = Field(default=1.0, ge=0, title="Inside the lane for", description="Seconds.")
    max_m_per_px: float = Field(
        default=0.1, gt=0, title="Coarsest ground resolution",
        description="Judged only where one pixel spans at most this many metres: the near part of the "
        "image, where the vehicle is big enough for its class to be trusted.",
    )
    size_fit: tuple[float, float] = Field(
        default=(0.45, 1.6), title="Size explained by the class",
        description="Bounds of the median, over the near detections, of a box's height over its class's "
        "typical cuboid's (edge.footprint): the detector boxes the photographed face, or the roof too. On the "
        "tune split cars measured 0.28-0.91 (so about one in ten cars is below the default and not judged), "
        "motorcycles 0.45-0.67; a bus called a car is ~2.",
    )
    large_min_fit: float = Field(
        default=0.52, ge=0, title="Size a truck or bus must explain",
        description="Lower bound of that median for a vehicle voted truck or bus. On the tune split (30 "
        "scenes) real trucks measured 0.55-0.92 and buses 0.43-1.09, cars the detector called a truck "
        "0.29-0.68 (26 of 36 below 0.52): at 0.45 a car called a truck was charged under a truck ban.",
    )
    min_class_share: float = Field(
        default=0.75, ge=0.5, le=1, title="Class agreement",
        description="Share of the track's (confidence-weighted) detections in the near field that must name "
        "its class: a car the detector calls a truck now and then is not judged against a truck ban. Far "
        "detections are not counted: a car called a truck far away and a car near is a car.",
    )


def restricted_lane(
    track: Track, scene: Scene, signals: Mapping[str, SignalState], config: RestrictedLaneConfig
) -> list[Violation]:
    del signals
    if not track.points:
        return []
    now = track.last
    lane_id = scene.lane_at(now.anchor)
    if lane_id is None or not _class_seen_near(track, scene, config):
        return []
    entered = inside_since(track, scene, (lane_id,), config.min_inside_s)
    if entered is None or seconds_between(entered, now) < config.min_inside_s:
        return []
    broken = _broken(track, scene, lane_id, now.captured_at)
    if not broken:
        return []
    # One act, one charge: one violation per vehicle and lane naming every restriction it breaks;
    # its feature is the first restriction of the site file that it breaks, else the lane itself.
    primary = next((rule_id for rule_id, kind, _, _ in broken if kind != "lane_classes"), lane_id)
    named = sorted(broken)
    return [Violation.of("restricted_lane", track, (lane_id, primary), (entered, now), {
        "restriction": primary,
        "restrictions": ",".join(rule_id for rule_id, _, _, _ in named),
        "restriction_kinds": ",".join(kind for _, kind, _, _ in named),
        "class": track.class_name,
        "allowed": "; ".join(f"{rule_id}: {allowed}" for rule_id, _, allowed, _ in named),
        "windows": "; ".join(f"{rule_id}: {windows}" for rule_id, _, _, windows in named),
    })]


def _class_seen_near(track: Track, scene: Scene, config: RestrictedLaneConfig) -> bool:
    """The vehicle is in the near field now, and its detections there, over `min_inside_s` at
    least, name its class by `min_class_share` of their confidence."""
    seen = track.seen or track.points
    # A box whose top the frame cuts is not class evidence: the detector saw part of the vehicle,
    # and a bus coming in under the top edge, its roof and sign unseen, reads as a truck.
    near = [p for p, fine in zip(seen, scene.metres_per_px([p.anchor for p in seen]) <= config.max_m_per_px,
                                 strict=True) if fine and not p.top_cut]
    if not near or near[-1] is not seen[-1] or seconds_between(near[0], near[-1]) < config.min_inside_s:
        return False
    named = [p for p in near if p.class_name == track.voted_label]
    if sum(p.confidence for p in named) < config.min_class_share * sum(p.confidence for p in near):
        return False
    fit = median_size_fit(named)
    low, high = config.size_fit
    if track.class_name in LARGE:
        low = max(low, config.large_min_fit)
    return fit is None or low <= fit <= high


def _broken(track: Track, scene: Scene, lane_id: str, moment: datetime) -> list[tuple[str, str, str, str]]:
    """(id, kind, allowed classes, windows) of each restriction the track's class breaks in the lane
    at `moment`: the lane's own allowed_classes (id: the lane's id, kind lane_classes) first, then each
    active busway or class ban, in site-file order."""
    broken = []
    lane = scene.lane(lane_id)
    if track.class_name not in lane.allowed_classes:
        broken.append((lane_id, "lane_classes", ",".join(lane.allowed_classes), "always"))
    for rule in scene.calibration.restrictions:
        if rule.kind == "odd_even" or lane_id not in rule.lanes or track.class_name in rule.exempt_classes:
            continue
        if scene.restriction_active(rule, moment):
            broken.append((rule.id, rule.kind, ",".join(rule.exempt_classes), "; ".join(rule.windows) or "always"))
    return broken
