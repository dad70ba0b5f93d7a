"""odd_even (ganjil-genap): in the lanes and windows of an odd_even restriction, a plate whose
number ends in an odd digit may pass only on odd dates, an even one only on even dates.

Judged in two steps, because the plate is read later and elsewhere (from the frames around
the act, by the evidence stage): `odd_even` picks the vehicles that must be checked — in a
restricted lane while a window holds, of a class that is not exempt, near enough for the class
and the plate to be trusted (the box's width), inside for `min_inside_s` — and returns them as violations
*pending their plate*; `judge` then confirms one with the read plate or dismisses it.
A dismissed candidate leaves nothing behind: no evidence, no plate text, only its `Dismissal`
(an enum: the run counts vehicles checked by it).

Exempt: the classes the restriction lists (typically motorcycle and bus), the plates the
device settings list (e.g. ambulances, fire engines, official vehicles by permit),
diplomatic plates, and public transport by its yellow plate (`exempt_categories`): a bus the
detector called a truck is still a bus by its plate. A plate that was not read, or read with
too little agreement, is never judged: a wrong last digit is a wrong ticket.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from edge.core import SignalState, Track, Violation
from edge.plates.indonesia import LETTER_TO_DIGIT, PlateCategory, PlateCertainty, PlateText, clean
from edge.rules.motion import inside_since, seconds_between
from edge.rules.scene import Scene


class OddEvenConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    exempt_plates: list[str] = Field(
        default_factory=list, title="Exempt plates",
        description="Plates with a permit (emergency, official); compared without spaces or case.",
    )
    min_inside_s: float = Field(default=1.0, ge=0, title="Inside the lane for", description="Seconds.")
    min_box_width_px: float = Field(
        default=160, gt=0, title="Narrowest vehicle checked",
        description="Pixels. A vehicle is checked once its box is this wide: near enough for its class "
        "(the exemptions) to be trusted and for its plate, about a quarter of a car's width, to reach "
        "the plate reader's 40 px in the frames around the check. Farther vehicles are not judged.",
    )
    min_plate_confidence: float = Field(
        default=0.5, ge=0, le=1, title="Lowest plate confidence judged",
        description="The voted read's confidence (its least certain character); below it the vehicle is not judged.",
    )
    min_digit_confidence: float = Field(
        default=0.9, ge=0, le=1, title="Lowest confidence of the last digit judged",
        description="The parity hangs on the number's last digit: below it the vehicle is not judged.",
    )
    min_plate_votes: int = Field(
        default=3, ge=1, title="Fewest agreeing frames judged",
        description="Frames whose read agrees with the voted plate; fewer and the vehicle is not judged.",
    )
    exempt_categories: tuple[PlateCategory, ...] = Field(
        default=("public_transport",), title="Exempt plate categories",
        description="Plates of these categories (from their colour) pass at any parity: ganjil-genap exempts "
        "public transport, whose plates are yellow, whatever class the detector gave the vehicle.",
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


def _parity(n: int) -> str:
    return "odd" if n % 2 else "even"


def odd_even(
    track: Track, scene: Scene, signals: Mapping[str, SignalState], config: OddEvenConfig
) -> list[Violation]:
    """The vehicles to check against their plate, as violations pending it (`suspect`)."""
    del signals
    if not track.points:
        return []
    now = track.last
    lane_id = scene.lane_at(now.anchor)
    if lane_id is None or now.xyxy[2] - now.xyxy[0] < config.min_box_width_px:
        return []
    found = []
    for rule in scene.calibration.restrictions:
        if rule.kind != "odd_even" or lane_id not in rule.lanes:
            continue
        if track.class_name in rule.exempt_classes or not scene.restriction_active(rule, now.captured_at):
            continue
        entered = inside_since(track, scene, rule.lanes, config.min_inside_s)
        if entered is None or seconds_between(entered, now) < config.min_inside_s:
            continue
        local = scene.local(now.captured_at).date()
        candidate = Violation.of("odd_even", track, (lane_id, rule.id), (entered, now), {
            "restriction": rule.id, "windows": "; ".join(rule.windows) or "always",
            "date": local.isoformat(), "date_parity": _parity(local.day),
        })
        found.append(dataclasses.replace(candidate, suspect=True))
    return found


def _doubt(plate: PlateText, sure: PlateCertainty, config: OddEvenConfig) -> str | None:
    """Why the read cannot carry a verdict, or None."""
    if (sure.confidence < config.min_plate_confidence or sure.digit_confidence < config.min_digit_confidence
            or sure.votes < config.min_plate_votes):
        return (f"confidence {sure.confidence:.2f} (≥ {config.min_plate_confidence:.2f}), last digit "
                f"{sure.digit_confidence:.2f} (≥ {config.min_digit_confidence:.2f}), {sure.votes} vote(s) "
                f"(≥ {config.min_plate_votes})")
    if not plate.suffix and plate.number[-1:] in set(LETTER_TO_DIGIT.values()):
        # "EA 968 I" reads "EA9681" just as well: with no suffix read, a last digit that a letter
        # turns into may be that letter, and the parity with it (measured: a wrong charge).
        return f"no suffix letters read and the last digit {plate.number[-1]} may be a suffix letter"
    return None


class Dismissal(StrEnum):
    """Why a suspect is not charged; the value is what the run summary counts it under."""

    NOT_READ = "plate not read"
    UNCERTAIN = "plate read too uncertain to judge"
    EXEMPT = "exempt"
    COMPLIES = "complies"


@dataclass(frozen=True, slots=True)
class Confirmed:
    """The suspect broke the restriction: its violation, with the plate's number and parity."""

    violation: Violation


@dataclass(frozen=True, slots=True)
class Dismissed:
    reason: Dismissal
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else str(self.reason)


Verdict = Confirmed | Dismissed


def _exemption(plate: PlateText, category: PlateCategory, config: OddEvenConfig) -> str | None:
    """Why the plate passes at any parity, or None."""
    if plate.diplomatic:
        return "diplomatic plate"
    if category in config.exempt_categories:
        return f"{category} plate"
    if clean(plate.text) in {clean(p) for p in config.exempt_plates}:
        return "plate on the permit list"
    return None


def judge(
    candidate: Violation, plate: PlateText | None, config: OddEvenConfig,
    certainty: PlateCertainty | None = None, unread_reason: str | None = None,
    category: PlateCategory = "unknown",
) -> Verdict:
    """The candidate confirmed with its plate, or dismissed and why.

    `plate` is the format-valid plate read for the vehicle with its `certainty`, held against
    the configured minimums (None: not read, `unread_reason` says why); `category` is what its
    colour says (a yellow plate: public transport).
    """
    if plate is None:
        return Dismissed(Dismissal.NOT_READ, unread_reason or "no reason given")
    if certainty is None:
        raise ValueError("a read plate is judged with its certainty")
    doubt = _doubt(plate, certainty, config)
    if doubt is not None:
        return Dismissed(Dismissal.UNCERTAIN, doubt)
    exemption = _exemption(plate, category, config)
    if exemption is not None:
        return Dismissed(Dismissal.EXEMPT, exemption)
    day = date.fromisoformat(str(candidate.details["date"]))
    if not breaks_odd_even(plate.number, day):
        return Dismissed(Dismissal.COMPLIES)
    details = dict(candidate.details)
    details |= {"plate_number": plate.number, "plate_parity": _parity(int(plate.number[-1]))}
    return Confirmed(dataclasses.replace(candidate, details=details, suspect=False))


PlateEvidence = tuple[PlateText, PlateCertainty, PlateCategory]  # what the plate stage read, to judge


def judge_read(candidate: Violation, read: PlateEvidence | str, config: OddEvenConfig) -> Verdict:
    """`judge` with what the plate stage answers: the plate, its certainty and its category, or why
    none was read."""
    if isinstance(read, str):
        return judge(candidate, None, config, unread_reason=read)
    plate, certainty, category = read
    return judge(candidate, plate, config, certainty, category=category)
