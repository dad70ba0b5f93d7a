"""odd_even (ganjil-genap): in the lanes and windows of an odd_even restriction, a plate whose
number ends in an odd digit may pass only on odd dates, an even one only on even dates.

Exempt: the classes the restriction lists (typically motorcycle and bus), the plates the
device settings list (e.g. ambulances, fire engines, official vehicles by permit) and
diplomatic plates. The rule needs the plate, so it is judged when the plate has been read;
an unread plate is never judged (no guessing).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from edge.plates.indonesia import PlateText, clean
from edge.rules.scene import Scene
from edge.rules.types import Violation
from edge.track import Track

DEFAULT_EXEMPT_CLASSES = ("motorcycle", "bus")


class OddEvenConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    exempt_plates: list[str] = Field(
        default_factory=list, title="Exempt plates",
        description="Plates with a permit (emergency, official); compared without spaces or case.",
    )


def breaks_odd_even(number: str, day: date) -> bool:
    """Whether a plate number may not pass on this local date.

    >>> breaks_odd_even("1234", date(2026, 1, 15)), breaks_odd_even("1235", date(2026, 1, 15))
    (True, False)
    >>> breaks_odd_even("", date(2026, 1, 15))
    False
    """
    if not number or not number[-1].isdigit():
        return False  # no number, nothing to judge
    return int(number[-1]) % 2 != day.day % 2


def odd_even(track: Track, scene: Scene, plate: PlateText | None, config: OddEvenConfig) -> list[Violation]:
    """Judge the track's latest point with its read plate."""
    if plate is None or plate.diplomatic or not track.points:
        return []
    if clean(plate.text) in {clean(p) for p in config.exempt_plates}:
        return []
    now = track.last
    lane_id = scene.lane_at(now.anchor)
    local = scene.local(now.captured_at)
    found = []
    for rule in scene.calibration.restrictions:
        if rule.kind != "odd_even" or lane_id not in rule.lanes:
            continue
        exempt = tuple(rule.allowed_classes) or DEFAULT_EXEMPT_CLASSES
        if track.class_name in exempt or not scene.restriction_active(rule, now.captured_at):
            continue
        if breaks_odd_even(plate.number, local.date()):
            found.append(Violation.of("odd_even", track, (lane_id or "", rule.id), (track.points[0], now), {
                "restriction": rule.id, "plate_number": plate.number, "date": local.date().isoformat(),
                "date_parity": "odd" if local.day % 2 else "even",
                "plate_parity": "odd" if int(plate.number[-1]) % 2 else "even",
            }))
    return found
