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
And a restriction is charged only if the vehicle breaks it whichever class its near detections
credibly name (`credible_share`): a car called a truck in three near boxes of four breaks a truck
ban only if it is a truck, so it is not charged there; in a busway it is, as car or truck.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from edge.core import SignalState, Track, TrackPoint, Violation
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
    credible_share: float = Field(
        default=0.15, gt=0, le=0.5, title="Class doubt",
        description="A class the near detections name by at least this share of their confidence (over any "
        "stretch from the first near box lasting `min_inside_s`) is one the vehicle may be: a restriction is "
        "charged only if every such class breaks it. On tune 131-150 two cars the detector called a truck in "
        "three near boxes of four, the rest car, were charged under a truck ban (one stood in view until the "
        "car share fell to 0.149 of the whole); the six real trucks charged there had no near box of another "
        "class.",
    )


def restricted_lane(
    track: Track, scene: Scene, signals: Mapping[str, SignalState], config: RestrictedLaneConfig
) -> list[Violation]:
    del signals
    if not track.points:
        return []
    now = track.last
    lane_id = scene.lane_at(now.anchor)
    if lane_id is None:
        return []
    classes = _classes_seen_near(track, scene, config)
    if not classes:
        return []
    entered = inside_since(track, scene, (lane_id,), config.min_inside_s)
    if entered is None or seconds_between(entered, now) < config.min_inside_s:
        return []
    broken = _broken(track.class_name, scene, lane_id, now.captured_at)
    for doubt in classes - {track.class_name}:  # broken whichever class it is, or not charged
        also = {rule_id for rule_id, _, _, _ in _broken(doubt, scene, lane_id, now.captured_at)}
        broken = [b for b in broken if b[0] in also]
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


def _classes_seen_near(track: Track, scene: Scene, config: RestrictedLaneConfig) -> frozenset[str]:
    """The classes the vehicle may be, its own among them, judged from its detections in the near field
    (where it is now, over `min_inside_s` at least): they must name its class by `min_class_share`
    of their confidence, and any other class named by `credible_share` of it is a doubt the charge
    must survive. Empty: its class is not trusted, and it is not judged."""
    seen = track.seen or track.points
    # A box whose top the frame cuts is not class evidence: the detector saw part of the vehicle,
    # and a bus coming in under the top edge, its roof and sign unseen, reads as a truck.
    near = [p for p, fine in zip(seen, scene.metres_per_px([p.anchor for p in seen]) <= config.max_m_per_px,
                                 strict=True) if fine and not p.top_cut]
    if not near or near[-1] is not seen[-1] or seconds_between(near[0], near[-1]) < config.min_inside_s:
        return frozenset()
    named = [p for p in near if p.class_name == track.voted_label]
    if sum(p.confidence for p in named) < config.min_class_share * sum(p.confidence for p in near):
        return frozenset()
    fit = median_size_fit(named)
    low, high = config.size_fit
    if track.class_name in LARGE:
        low = max(low, config.large_min_fit)
    if fit is not None and not low <= fit <= high:
        return frozenset()
    return frozenset({track.class_name}) | _doubts(track, near, config)


def _doubts(track: Track, near: list[TrackPoint], config: RestrictedLaneConfig) -> frozenset[str]:
    """The classes named by `credible_share` of the near detections' confidence over any stretch
    from the first near one lasting `min_inside_s` or more. A doubt once raised stays: a car that
    stands in the near field, boxed as a truck from that one view all the while, is no more a truck
    than when it came in and was boxed as a car (tune 149). It stays as long as the track's history
    holds the boxes that raised it (`tracker.history_s`, 20 s by default)."""
    weight: dict[str, float] = {}
    total = 0.0
    doubts: set[str] = set()
    for p in near:
        name = _as_vehicle(track, p.class_name)
        weight[name] = weight.get(name, 0.0) + p.confidence
        total += p.confidence
        if seconds_between(near[0], p) >= config.min_inside_s:
            doubts.update(name for name, w in weight.items() if w >= config.credible_share * total)
    return frozenset(doubts)


def _as_vehicle(track: Track, label: str) -> str:
    """The vehicle class a detection's label says: the track's own label is its class (a rider's
    "person" box is its motorcycle), and so is a "person" box of any motorcycle."""
    if label == track.voted_label or (label == "person" and track.class_name == "motorcycle"):
        return track.class_name
    return label


def _broken(class_name: str, scene: Scene, lane_id: str, moment: datetime) -> list[tuple[str, str, str, str]]:
    """(id, kind, allowed classes, windows) of each restriction a vehicle of `class_name` breaks in the
    lane at `moment`: the lane's own allowed_classes (id: the lane's id, kind lane_classes) first, then
    each active busway or class ban, in site-file order."""
    broken = []
    lane = scene.lane(lane_id)
    if class_name not in lane.allowed_classes:
        broken.append((lane_id, "lane_classes", ",".join(lane.allowed_classes), "always"))
    for rule in scene.calibration.restrictions:
        if rule.kind == "odd_even" or lane_id not in rule.lanes or class_name in rule.exempt_classes:
            continue
        if scene.restriction_active(rule, moment):
            broken.append((rule.id, rule.kind, ",".join(rule.exempt_classes), "; ".join(rule.windows) or "always"))
    return broken
