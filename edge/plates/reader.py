"""Reads the plate of one violating vehicle from several ring-buffer frames.

best frames → plate detector on the vehicle crop → OCR of the plate crop → TNKB fixes →
vote → a `PlateRead`, or no plate and the reason. Every read is kept for the officer, and
nothing is invented: too small a plate is not sent to the OCR at all, and a vote that is
tied or too uncertain gives no text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from edge.imaging import crop_with_margin
from edge.plates.colour import plate_colour
from edge.plates.config import PlateConfig
from edge.plates.detector import PlateFinder, PlateHit, VehicleView, rank_views
from edge.plates.indonesia import (
    PlateCategory,
    PlateCertainty,
    PlateColour,
    PlateText,
    category_of,
    normalize_read,
    parse,
)
from edge.plates.ocr import Recognizer
from edge.plates.regions import REGIONS
from edge.plates.vote import FrameRead, vote

__all__ = ["PlateCrop", "PlateOutcome", "PlateRead", "PlateReader"]

@dataclass(frozen=True, slots=True)
class PlateRead:
    """The plate, as the evidence records it."""

    text: str  # "B1234XYZ"
    formatted: str  # "B 1234 XYZ"
    region: str | None
    province: str | None
    area: str | None
    category: PlateCategory
    colour: PlateColour
    confidence: float
    char_confidences: tuple[float, ...]
    votes: int
    format_valid: bool


@dataclass(frozen=True, slots=True)
class PlateCrop:
    frame_index: int
    image: NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class PlateOutcome:
    """A read plate, or none and why; with every raw read, the frames examined and the crop."""

    plate: PlateRead | None
    reason: str | None
    reads: tuple[FrameRead, ...]
    frames: tuple[int, ...]
    ocr_calls: int
    crop: PlateCrop | None

    def judgeable(self) -> tuple[PlateText, PlateCertainty, PlateCategory] | str:
        """The plate in the plate vocabulary a rule judges (`edge.rules.odd_even`), with how sure
        the whole read and its number's last digit are and its category (by colour); or why there
        is none to judge."""
        read = self.plate
        if read is None:
            return self.reason or "no reason given"
        plate = parse(read.text) if read.format_valid else None
        if plate is None:
            return f"{read.text!r} is not a valid plate"
        last_digit = len(plate.region) + len(plate.number) - 1  # in the text, region + number + suffix
        digit = read.char_confidences[last_digit] if last_digit < len(read.char_confidences) else 0.0
        return plate, PlateCertainty(read.confidence, digit, read.votes), read.category


_Found = tuple[VehicleView, PlateHit, NDArray[np.uint8]]  # a view, the plate found in it, its crop

# The widest a plate is against its vehicle's box: a motorcycle seen head-on (27.5 cm plate on a
# ~0.7 m front); a car's plate is about a quarter of its width. A narrower box holds no plate the
# OCR would be given, so neither the plate detector nor the OCR run on it.
_PLATE_SHARE_MAX = 0.6


def _settled(reads: Sequence[FrameRead], needed: int) -> bool:
    """Whether the reads so far already decide the vote: `needed` of them read one valid plate
    and none read anything else (a dissenting read means the remaining frames must be heard)."""
    texts = {r.plate.text if r.plate is not None else None for r in reads if r.raw}
    return len(reads) >= needed and len(texts) == 1 and None not in texts and all(r.raw for r in reads)


def _nothing_to_vote(chosen: Sequence[VehicleView], examined: Sequence[int], found: Sequence[_Found],
                     reads: Sequence[FrameRead], min_width: int) -> str | None:
    """Why there is no read to vote on, or None when there is one: the first step that came up empty."""
    if not chosen:
        return "the vehicle is in none of the buffered frames"
    if not examined:
        widest_vehicle = max(v.box[2] - v.box[0] for v in chosen)
        return (f"vehicle too small for a readable plate: {widest_vehicle:.0f} px wide at most, "
                f"its plate would be under {min_width} px")
    if not found:
        return f"no plate found on the vehicle in {len(examined)} frame(s)"
    if not reads:
        widest = max(hit.box[2] - hit.box[0] for _, hit, _ in found)
        return f"plate too small to read: {widest:.0f} px wide at most, {min_width} px needed"
    return None


def _majority(colours: Sequence[PlateColour]) -> PlateColour:
    ranked = Counter(c for c in colours if c != "unknown").most_common(2)
    if not ranked or (len(ranked) == 2 and ranked[0][1] == ranked[1][1]):
        return "unknown"
    return ranked[0][0]


class PlateReader:
    """Plate detector + OCR + format + vote for one vehicle; `read` never raises on bad pixels.

    `models` names the weight files used (role, path), for the event's model identities.
    """

    def __init__(self, config: PlateConfig, detector: PlateFinder, recognizer: Recognizer,
                 models: tuple[tuple[str, Path], ...]) -> None:
        self._config = config
        self._detector = detector
        self._recognizer = recognizer
        self.models = models

    def _look(self, chosen: Sequence[VehicleView]) -> tuple[list[_Found], list[FrameRead], tuple[int, ...]]:
        """The plate found in each view, the OCR of those wide enough to read, by frame, and the frames
        examined: best first, until the reads settle the plate."""
        cfg = self._config
        found: list[_Found] = []
        reads: list[FrameRead] = []
        examined: list[int] = []
        for view in chosen:
            if _settled(reads, cfg.settled_after):
                break
            if (view.box[2] - view.box[0]) * _PLATE_SHARE_MAX < cfg.min_plate_width_px:
                continue  # no plate on a vehicle this narrow can be wide enough to read
            examined.append(view.frame_index)
            hit = self._detector.find(view)
            if hit is None:
                continue
            crop = crop_with_margin(view.image, hit.box, cfg.plate_margin)
            found.append((view, hit, crop))
            if hit.box[2] - hit.box[0] < cfg.min_plate_width_px or crop.size == 0:
                continue
            text = self._recognizer.read(crop)
            reading = normalize_read(text.candidates, text.gaps)
            reads.append(FrameRead(view.frame_index, text, reading.plate if reading else None, hit.box,
                                   hit.confidence, plate_colour(crop)))
        reads.sort(key=lambda r: r.frame_index)
        return found, reads, tuple(sorted(examined))

    def read(self, views: Sequence[VehicleView]) -> PlateOutcome:
        cfg = self._config
        chosen = rank_views(views, cfg.frames)
        found, reads, frames = self._look(chosen)
        result = tuple(reads)

        def unreadable(reason: str) -> PlateOutcome:
            best = max(found, key=lambda f: f[1].box[2] - f[1].box[0], default=None)
            crop = PlateCrop(best[0].frame_index, best[2]) if best is not None else None
            return PlateOutcome(None, reason, result, frames, len(reads), crop)

        missing = _nothing_to_vote(chosen, frames, found, reads, cfg.min_plate_width_px)
        if missing is not None:
            return unreadable(missing)
        voted = vote(reads)
        if voted.reason is not None:
            return unreadable(voted.reason)
        if voted.confidence < cfg.min_confidence:
            return unreadable(f"too uncertain: confidence {voted.confidence:.2f} < {cfg.min_confidence:.2f} "
                              f"for {voted.text!r} from {voted.votes} read(s)")
        plate = parse(voted.text) if voted.parsed else None
        colour = _majority([r.colour for r in voted.voters])
        region = plate.region if plate is not None and not plate.diplomatic else None
        info = REGIONS.get(region) if region is not None else None
        read = PlateRead(
            text=voted.text,
            formatted=plate.formatted if plate is not None else voted.text,
            region=region,
            province=info.province if info is not None else None,
            area=info.area if info is not None else None,
            category=category_of(colour, plate),
            colour=colour,
            confidence=round(voted.confidence, 4),
            char_confidences=voted.char_confidences,
            votes=voted.votes,
            format_valid=plate is not None,
        )
        # The evidence crop: the most confident read that agrees with the result.
        best_frame = max(voted.voters, key=lambda r: (sum(r.confidences) / max(1, len(r.confidences)))).frame_index
        evidence = next(PlateCrop(v.frame_index, image) for v, _, image in found if v.frame_index == best_frame)
        return PlateOutcome(read, None, result, frames, len(reads), evidence)
