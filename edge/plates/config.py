"""The plate stage's settings: which frames, which detector, which OCR, and how sure a read must
be. Pydantic only, so `edge.settings` loads neither ONNX Runtime nor OpenCV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.detect.config import OrtOptions, YoloConfig


class RapidOcrConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["rapidocr"] = "rapidocr"
    # One by default: it runs on the plate thread, beside the vehicle detector.
    threads: int = Field(default=1, ge=1, title="ONNX Runtime intra-op threads")
    det_limit_side_len: int = Field(
        default=320, ge=32, title="Text detector input limit",
        description="Longest side of the detector's input; larger is slower and, on plate crops, no better.",
    )
    line_width: int = Field(default=320, ge=64, title="Crop width given to the text detector", description="Pixels.")


class EasyOcrConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["easyocr"] = "easyocr"
    threads: int = Field(default=2, ge=1, title="torch threads")
    line_width: int = Field(default=320, ge=64, title="Crop width given to the text detector", description="Pixels.")


RecognizerConfig = Annotated[RapidOcrConfig | EasyOcrConfig, Field(discriminator="type")]


PLATE_MODEL = Path("models/license_plate_detector.onnx")


def _default_detector() -> YoloConfig:
    # One thread: plates are read on a thread of their own beside the vehicle detector (two
    # threads each oversubscribed a 2-core box: 14 % slower end to end on the demo).
    # Not capped below 640 by input side: a large crop scaled down by its long side shrinks the plate
    # with it (on the demo clip a red-light runner's plate was then found in none of its 5 frames at
    # 320). `PlateConfig.search_vehicle_px` scales by the vehicle's width instead, which bounds the plate's.
    return YoloConfig(model=PLATE_MODEL, labels={0: "plate"}, score_threshold=0.25,
                      ort=OrtOptions(intra_op_threads=1))


class PlateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, title="Read plates", description="Off: events carry no plate and say so.")
    detector: YoloConfig = Field(default_factory=_default_detector, title="Plate detector")
    ocr: RecognizerConfig = Field(default_factory=RapidOcrConfig, title="OCR backend")
    frames: int = Field(default=5, ge=1, le=20, title="Frames read per violation",
                        description="The best frames of the vehicle (largest, sharpest, most frontal).")
    settled_after: int = Field(
        default=3, ge=1, le=20, title="Agreeing reads that settle the plate",
        description="Reading stops once this many frames read the same valid plate with no frame against it; "
        "the remaining best frames are not read (each costs a plate detection and an OCR call). At least "
        "rules.odd_even.min_plate_votes, which an odd-even verdict needs.",
    )
    vehicle_margin: float = Field(default=0.1, ge=0, le=1, title="Margin around the vehicle box",
                                  description="Fraction of the box added on each side before looking for the plate.")
    search_vehicle_px: int | None = Field(
        default=400, ge=64, title="Vehicle width for the plate search",
        description="Pixels. A wider vehicle crop is shrunk to this before the plate detector looks at it (the OCR "
        "still reads the full-resolution plate): the detector costs by its input's area and finds a plate as well "
        "at 48 px as at 120. None: search at full size.",
    )
    plate_margin: float = Field(default=0.04, ge=0, le=1, title="Margin around the plate box")
    min_plate_width_px: int = Field(default=40, ge=1, title="Narrowest plate sent to the OCR",
                                    description="Pixels. A narrower plate cannot be read reliably; it is skipped.")
    min_confidence: float = Field(default=0.5, ge=0, le=1, title="Lowest voted confidence reported",
                                  description="Below it the plate is recorded as unreadable, with the reads.")
