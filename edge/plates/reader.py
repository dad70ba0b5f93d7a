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
from pydantic import BaseModel, ConfigDict, Field

from edge.detect.base import OrtOptions, crop_with_margin
from edge.detect.yolo import YoloConfig
from edge.plates.colour import plate_colour
from edge.plates.detector import PlateFinder, PlateHit, VehicleView, rank_views
from edge.plates.indonesia import PlateCategory, PlateColour, category_of, normalize_read, parse
from edge.plates.ocr import RapidOcrConfig, Recognizer, RecognizerConfig
from edge.plates.regions import REGIONS
from edge.plates.vote import FrameRead, vote

__all__ = ["PlateConfig", "PlateCrop", "PlateOutcome", "PlateRead", "PlateReader"]

PLATE_MODEL = Path("models/license_plate_detector.onnx")


def _default_detector() -> YoloConfig:
    # One thread: plates are read on a thread of their own beside the vehicle detector (two
    # threads each oversubscribed a 2-core box: 14 % slower end to end on the demo).
    return YoloConfig(model=PLATE_MODEL, labels={0: "plate"}, score_threshold=0.25,
                      ort=OrtOptions(intra_op_threads=1))


class PlateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, title="Read plates", description="Off: events carry no plate and say so.")
    detector: YoloConfig = Field(default_factory=_default_detector, title="Plate detector")
    ocr: RecognizerConfig = Field(default_factory=RapidOcrConfig, title="OCR backend")
    frames: int = Field(default=5, ge=1, le=20, title="Frames read per violation",
                        description="The best frames of the vehicle (largest, sharpest, most frontal).")
    vehicle_margin: float = Field(default=0.1, ge=0, le=1, title="Margin around the vehicle box",
                                  description="Fraction of the box added on each side before looking for the plate.")
    plate_margin: float = Field(default=0.04, ge=0, le=1, title="Margin around the plate box")
    min_plate_width_px: int = Field(default=40, ge=1, title="Narrowest plate sent to the OCR",
                                    description="Pixels. A narrower plate cannot be read reliably; it is skipped.")
    min_confidence: float = Field(default=0.5, ge=0, le=1, title="Lowest voted confidence reported",
                                  description="Below it the plate is recorded as unreadable, with the reads.")


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

    def read(self, views: Sequence[VehicleView]) -> PlateOutcome:
        cfg = self._config
        chosen = rank_views(views, cfg.frames)
        frames = tuple(sorted(v.frame_index for v in chosen))
        found: list[tuple[VehicleView, PlateHit, NDArray[np.uint8]]] = []
        reads: list[FrameRead] = []
        for view in chosen:
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
        result = tuple(reads)

        def unreadable(reason: str) -> PlateOutcome:
            best = max(found, key=lambda f: f[1].box[2] - f[1].box[0], default=None)
            crop = PlateCrop(best[0].frame_index, best[2]) if best is not None else None
            return PlateOutcome(None, reason, result, frames, len(reads), crop)

        if not chosen:
            return unreadable("the vehicle is in none of the buffered frames")
        if not found:
            return unreadable(f"no plate found on the vehicle in {len(chosen)} frame(s)")
        if not reads:
            widest = max(hit.box[2] - hit.box[0] for _, hit, _ in found)
            return unreadable(f"plate too small to read: {widest:.0f} px wide at most, "
                              f"{cfg.min_plate_width_px} px needed")
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
