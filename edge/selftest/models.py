"""The model checks: the configured detector and plate reader load, and on a bundled frame whose
content is known they find the car where it is and read its plate.

The frame is frame 24 of the demo clip: car v1 of calibration/demo/ground_truth.json, near and
whole, its plate 158 px wide (tests/selftest checks these numbers against the ground truth).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.core import Box, iou
from edge.detect.build import build_detector
from edge.detect.config import CenterNetConfig, YoloConfig
from edge.errors import ModelError
from edge.ledger.store import file_sha256
from edge.paths import PROJECT_ROOT
from edge.plates.config import PlateConfig
from edge.plates.detector import VehicleView
from edge.plates.factory import build_plate_reader
from edge.selftest.probe import Budget, Finding, failed, passed, skipped

MIN_IOU = 0.5
NOT_VEHICLES = frozenset({"person"})


@dataclass(frozen=True, slots=True)
class KnownFrame:
    """A bundled frame and what is on it."""

    clip: Path
    index: int
    vehicle: Box
    vehicle_class: str
    plate: str  # as formatted on the plate


DEMO_FRAME = KnownFrame(PROJECT_ROOT / "calibration" / "demo" / "clip.mp4", 24, (771.0, 472.0, 929.0, 573.0),
                        "car", "B 2706 TKR")


class SampleMissingError(ModelError):
    """The bundled frame cannot be read, so the models' output cannot be judged."""


def read_frame(known: KnownFrame) -> NDArray[np.uint8]:
    """Decoded from the start rather than seeked: seeking an mp4 lands on keyframes, not frames."""
    capture = cv2.VideoCapture(str(known.clip))
    try:
        for _ in range(known.index):
            capture.grab()
        ok, image = capture.read()
    finally:
        capture.release()
    if not ok:
        raise SampleMissingError(f"bundled sample {known.clip} (frame {known.index}) cannot be read: without it "
                                 "the models' output cannot be judged; it ships with the project")
    return np.asarray(image, dtype=np.uint8)



def identity(path: Path) -> str:
    """A model as the events name it: file and sha256 (its first 12 hex digits, enough to tell)."""
    return f"{path.name} sha256 {file_sha256(path)[:12]}" if path.is_file() else f"{path} (missing)"


def check_detector(config: CenterNetConfig | YoloConfig, known: KnownFrame, _budget: Budget) -> Finding:
    model = identity(config.model)
    try:
        frame = read_frame(known)
        detector = build_detector(config)
    except ModelError as exc:
        return failed(f"{model}: {exc}")
    start = time.monotonic()
    found = detector.detect(frame)
    ms = (time.monotonic() - start) * 1000
    names = [str(n) for n in found.data.get("class_name", [""] * len(found))]
    vehicles = [i for i, name in enumerate(names) if name not in NOT_VEHICLES]
    if not vehicles:
        return failed(f"{model}: no vehicle on the bundled frame ({len(found)} detection(s), {ms:.0f} ms): "
                      "wrong model, labels or thresholds in the settings")
    boxes = {i: (float(x1), float(y1), float(x2), float(y2)) for i, (x1, y1, x2, y2) in enumerate(found.xyxy)}
    best = max(vehicles, key=lambda i: iou(boxes[i], known.vehicle))
    overlap = iou(boxes[best], known.vehicle)
    if overlap < MIN_IOU:
        return failed(f"{model}: {len(vehicles)} vehicle(s) found in {ms:.0f} ms, none where the bundled frame's "
                      f"{known.vehicle_class} is (best overlap {overlap:.2f}, {MIN_IOU} needed)")
    box = ",".join(f"{v:.0f}" for v in boxes[best])
    confidence = float(found.confidence[best]) if found.confidence is not None else float("nan")
    return passed(f"{model}: found the bundled frame's {known.vehicle_class} as {names[best]} {confidence:.2f} at "
                  f"[{box}] (overlap {overlap:.2f}) among {len(vehicles)} vehicle(s); inference {ms:.0f} ms")


def check_plates(config: PlateConfig, known: KnownFrame, _budget: Budget) -> Finding:
    if not config.enabled:
        return skipped("plate reading is off (settings evidence.plates.enabled): events carry no plate")
    try:
        frame = read_frame(known)
        reader = build_plate_reader(config)
    except ModelError as exc:
        return failed(f"plate reader: {exc}")
    models = ", ".join(identity(path) for _, path in reader.models)
    start = time.monotonic()
    outcome = reader.read([VehicleView(known.index, frame, known.vehicle)])
    ms = (time.monotonic() - start) * 1000
    if outcome.plate is None:
        return failed(f"no plate read on the bundled frame ({outcome.reason}; {ms:.0f} ms); models {models}")
    read = outcome.plate.formatted
    if read != known.plate:
        return failed(f"read {read!r} where the bundled frame's plate is {known.plate!r} ({ms:.0f} ms); "
                      f"models {models}")
    return passed(f"read {read!r} ({outcome.plate.confidence:.2f}) on the bundled frame in {ms:.0f} ms; "
                  f"models {models}")
