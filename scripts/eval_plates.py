#!/usr/bin/env python3
"""Plate reading accuracy per OCR backend, one frame at a time and voting over five frames.

    python scripts/eval_plates.py [--split eval|tune] [--backends rapidocr,easyocr] [--limit N]

Runs the real reader (`edge.plates.PlateReader`: plate detector on the vehicle crop, OCR,
TNKB fixes, vote, confidence threshold) on the test set of scripts/make_plates.py, which it
regenerates when missing. "single" gives the reader one frame per plate (each frame scored on
its own); "vote" gives it all five. Exact: the plate's whole text is right; an unreadable
result counts as wrong, never as right. Char: 1 - edit distance / length, 0 when unreadable.
"wrong" is the rate of confident but wrong plates (the dangerous kind). Timing: the OCR call
alone, per plate crop, median. Plate work per vehicle (issue 13, P4): what the voting reader spent on
one vehicle (plate detections on the frames it examined plus OCR calls, at their medians) as a
ratio to one run of the bundled vehicle detector measured in the same run. Results go to
bench-results/plates.json (appended).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
from make_plates import ROOT, ensure
from numpy.typing import NDArray

from edge.detect.base import make_session
from edge.plates.config import EasyOcrConfig, PlateConfig, RapidOcrConfig
from edge.plates.detector import PlateDetector, PlateHit, VehicleView
from edge.plates.factory import build_recognizer
from edge.plates.ocr import Recognizer, TextRead
from edge.plates.reader import PlateOutcome, PlateReader
from edge.settings import DeviceSettings

BACKENDS: dict[str, RapidOcrConfig | EasyOcrConfig] = {"rapidocr": RapidOcrConfig(), "easyocr": EasyOcrConfig()}


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def char_accuracy(predicted: str, truth: str) -> float:
    return max(0.0, 1.0 - edit_distance(predicted, truth) / len(truth))


class CachedFinder:
    """The plate detector, run once per image whatever the backend and mode."""

    def __init__(self, detector: PlateDetector) -> None:
        self._detector = detector
        self._hits: dict[int, PlateHit | None] = {}
        self.seconds: list[float] = []

    def find(self, view: VehicleView) -> PlateHit | None:
        if view.frame_index not in self._hits:
            started = time.perf_counter()
            self._hits[view.frame_index] = self._detector.find(view)
            self.seconds.append(time.perf_counter() - started)
        return self._hits[view.frame_index]


@dataclass
class TimedRecognizer:
    """The OCR backend, each crop read once (single and vote see the same crops), timed."""

    inner: Recognizer
    seconds: list[float] = field(default_factory=list)
    _reads: dict[bytes, TextRead] = field(default_factory=dict)

    def read(self, plate_image: NDArray[np.uint8]) -> TextRead:
        key = plate_image.tobytes() + bytes(str(plate_image.shape), "ascii")
        if key not in self._reads:
            started = time.perf_counter()
            self._reads[key] = self.inner.read(plate_image)
            self.seconds.append(time.perf_counter() - started)
        return self._reads[key]


@dataclass
class Score:
    exact: int = 0
    wrong: int = 0
    unreadable: int = 0
    chars: float = 0.0
    count: int = 0

    examined: int = 0
    ocr_calls: int = 0

    def add(self, outcome: PlateOutcome, truth: str) -> None:
        self.examined += len(outcome.frames)
        self.ocr_calls += outcome.ocr_calls
        text = outcome.plate.text if outcome.plate is not None else ""
        self.count += 1
        self.exact += text == truth
        self.wrong += bool(text) and text != truth
        self.unreadable += not text
        self.chars += char_accuracy(text, truth)

    def row(self) -> dict[str, float]:
        n = max(1, self.count)
        return {"n": self.count, "exact": self.exact / n, "char": self.chars / n, "wrong": self.wrong / n,
                "unreadable": self.unreadable / n, "frames_examined_per_plate": self.examined / n,
                "ocr_calls_per_plate": self.ocr_calls / n}


def views_of(folder: Path, label: dict[str, object]) -> list[VehicleView]:
    out = []
    for k, name in enumerate(label["files"]):  # type: ignore[arg-type]
        image = cv2.imread(str(folder / name))
        height, width = image.shape[:2]
        # The image is the tracker's crop already: the vehicle box is the whole of it.
        out.append(VehicleView(int(label["id"]) * 10 + k, np.asarray(image, np.uint8), (0, 0, width, height)))  # type: ignore[call-overload]
    return out


def evaluate(folder: Path, labels: Sequence[dict[str, object]], backend: str, finder: CachedFinder,
             config: PlateConfig) -> dict[str, object]:
    recognizer, _ = build_recognizer(BACKENDS[backend])
    timed = TimedRecognizer(recognizer)
    single_reader = PlateReader(config.model_copy(update={"frames": 1}), finder, timed, ())
    vote_reader = PlateReader(config.model_copy(update={"frames": 5}), finder, timed, ())
    single, voted = Score(), Score()
    failures = []
    for label in labels:
        truth = str(label["text"])
        views = views_of(folder, label)
        for view in views:
            single.add(single_reader.read([view]), truth)
        outcome = vote_reader.read(views)
        voted.add(outcome, truth)
        if outcome.plate is None or outcome.plate.text != truth:
            failures.append({"id": label["id"], "truth": truth, "got": outcome.plate.text if outcome.plate else None,
                             "reason": outcome.reason, "reads": [r.raw for r in outcome.reads]})
    ms = [1000 * s for s in timed.seconds]
    return {"backend": backend, "single": single.row(), "vote": voted.row(),
            "ocr_ms_median": round(statistics.median(ms), 1) if ms else None, "ocr_calls": len(ms),
            "failures": failures}


def vehicle_detector_ms(repeat: int = 20) -> float:
    """One run of the bundled vehicle detector's ONNX session at its input size, median: the unit of P4."""
    settings = DeviceSettings().resolved()
    session = make_session(settings.detector.model, settings.detector.ort)
    inp = session.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in inp.shape]
    tensor = np.random.default_rng(0).uniform(0, 255, shape).astype(np.float32)
    session.run(None, {inp.name: tensor})  # warm-up
    spent = []
    for _ in range(repeat):
        started = time.perf_counter()
        session.run(None, {inp.name: tensor})
        spent.append(time.perf_counter() - started)
    return 1000 * statistics.median(spent)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set-dir", type=Path, default=ROOT / "build" / "plates")
    parser.add_argument("--split", choices=["eval", "tune"], default="eval")
    parser.add_argument("--backends", default="rapidocr,easyocr")
    parser.add_argument("--limit", type=int, default=None, help="only the first N plates of the split")
    parser.add_argument("--count", type=int, default=400)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--tune", type=int, default=100)
    parser.add_argument("--search-vehicle-px", type=int, default=PlateConfig().search_vehicle_px,
                        help="evidence.plates.search_vehicle_px; 0: search at full size")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results" / "plates.json")
    args = parser.parse_args(argv)
    labels = [lb for lb in ensure(args.set_dir, args.count, args.seed, args.tune) if lb["split"] == args.split]
    labels = labels[: args.limit] if args.limit else labels
    config = PlateConfig(search_vehicle_px=args.search_vehicle_px or None)
    detector_config = config.detector.model_copy(update={"model": ROOT / config.detector.model})
    finder = CachedFinder(PlateDetector(detector_config, 0.0, config.search_vehicle_px))
    results = []
    for backend in args.backends.split(","):
        started = time.perf_counter()
        result = evaluate(args.set_dir, labels, backend, finder, config)
        result["seconds"] = round(time.perf_counter() - started, 1)
        results.append(result)
        single, vote = result["single"], result["vote"]
        print(f"{backend:9s} single: exact {single['exact']:.1%} char {single['char']:.1%} "  # type: ignore[index]
              f"wrong {single['wrong']:.1%} | vote(5): exact {vote['exact']:.1%} char {vote['char']:.1%} "  # type: ignore[index]
              f"wrong {vote['wrong']:.1%} unreadable {vote['unreadable']:.1%} | "  # type: ignore[index]
              f"OCR {result['ocr_ms_median']} ms/plate ({result['ocr_calls']} calls, {result['seconds']} s)")
    detector_ms = round(1000 * statistics.median(finder.seconds), 1) if finder.seconds else None
    print(f"plate detector: {detector_ms} ms per vehicle crop (median of {len(finder.seconds)})")
    vehicle_ms = vehicle_detector_ms()
    for result in results:
        vote = result["vote"]
        per_vehicle = (vote["frames_examined_per_plate"] * (detector_ms or 0.0)  # type: ignore[index]
                       + vote["ocr_calls_per_plate"] * (result["ocr_ms_median"] or 0.0))  # type: ignore[index,operator]
        result["plate_ms_per_vehicle"] = round(per_vehicle, 1)
        result["plate_work_vs_detector"] = round(per_vehicle / vehicle_ms, 2)
        print(f"{result['backend']:9s} plate work per vehicle: {per_vehicle:.0f} ms = "
              f"{result['plate_work_vs_detector']} vehicle-detector runs ({vehicle_ms:.0f} ms each)")
    record = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "split": args.split, "plates": len(labels),
              "machine": platform.processor() or platform.machine(), "plate_detector_ms_median": detector_ms,
              "vehicle_detector_ms_median": round(vehicle_ms, 1), "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as handle:
        handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
