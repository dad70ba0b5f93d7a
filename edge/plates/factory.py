"""Builds the plate reader from its config: the plate detector and the chosen OCR backend.

The OCR backend is chosen by the config's `ocr.type` tag: `rapidocr` (the default) needs no
torch; `easyocr` needs the `ocr` extra and says so when it is missing.
"""

from __future__ import annotations

from pathlib import Path

from edge.paths import in_project
from edge.plates.config import EasyOcrConfig, PlateConfig, RapidOcrConfig
from edge.plates.detector import PlateDetector
from edge.plates.ocr import Recognizer
from edge.plates.reader import PlateReader

__all__ = ["build_plate_reader", "build_recognizer"]

def build_recognizer(config: RapidOcrConfig | EasyOcrConfig) -> tuple[Recognizer, tuple[tuple[str, Path], ...]]:
    """The OCR backend and its weight files (role, path)."""
    if isinstance(config, EasyOcrConfig):
        # Lazy: the backend not chosen is never loaded (easyocr pulls in torch).
        from edge.plates.easy import DET_FILE, REC_FILE, EasyOcrRecognizer  # noqa: PLC0415

        easy = EasyOcrRecognizer(config)
        return easy, (("ocr_detector", easy.model_dir / DET_FILE), ("ocr_recognizer", easy.model_dir / REC_FILE))
    from edge.plates.rapid import DET_MODEL, REC_MODEL, RapidOcrRecognizer, model_dir  # noqa: PLC0415

    return RapidOcrRecognizer(config), (("ocr_detector", model_dir() / DET_MODEL),
                                        ("ocr_recognizer", model_dir() / REC_MODEL))


def build_plate_reader(config: PlateConfig) -> PlateReader:
    detector_config = config.detector
    detector_config = detector_config.model_copy(update={"model": in_project(detector_config.model)})
    recognizer, ocr_files = build_recognizer(config.ocr)
    finder = PlateDetector(detector_config, config.vehicle_margin, config.search_vehicle_px)
    return PlateReader(config, finder, recognizer, (("plate_detector", detector_config.model), *ocr_files))
