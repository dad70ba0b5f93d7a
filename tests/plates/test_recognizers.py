"""Both OCR backends on rendered plates: the real models, nothing mocked."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from edge.errors import ModelError
from edge.plates.config import EasyOcrConfig, RapidOcrConfig
from edge.plates.factory import build_recognizer
from edge.plates.indonesia import normalize_read
from edge.plates.ocr import TextRead


def read_all(config: RapidOcrConfig | EasyOcrConfig, plates: list[tuple[str, np.ndarray]]) -> list[tuple[str, str]]:
    recognizer, files = build_recognizer(config)
    assert all(path.is_file() for _, path in files)
    out = []
    for truth, image in plates:
        read = recognizer.read(image)
        assert isinstance(read, TextRead) and len(read.confidences) == len(read.text)
        reading = normalize_read(read.candidates, read.gaps)
        out.append((truth, reading.plate.text if reading is not None else read.text))
    return out


def test_rapidocr_reads_rendered_plates(plates_for_ocr: list[tuple[str, np.ndarray]]) -> None:
    results = read_all(RapidOcrConfig(), plates_for_ocr)
    assert results == [(t, t) for t, _ in results]


def test_rapidocr_is_fast_on_a_plate(plates_for_ocr: list[tuple[str, np.ndarray]]) -> None:
    recognizer, _ = build_recognizer(RapidOcrConfig())
    recognizer.read(plates_for_ocr[0][1])  # warm-up
    started = time.perf_counter()
    for _, image in plates_for_ocr:
        recognizer.read(image)
    per_plate = (time.perf_counter() - started) / len(plates_for_ocr)
    assert per_plate < 0.5, f"{per_plate * 1000:.0f} ms per plate"  # ~50–100 ms on 2 cores (README)


def test_rapidocr_on_a_blank_crop_reads_nothing() -> None:
    recognizer, _ = build_recognizer(RapidOcrConfig())
    assert recognizer.read(np.full((40, 120, 3), 128, np.uint8)) == TextRead()
    assert recognizer.read(np.zeros((2, 2, 3), np.uint8)).text == ""


@pytest.mark.slow
def test_easyocr_reads_rendered_plates(plates_for_ocr: list[tuple[str, np.ndarray]]) -> None:
    results = read_all(EasyOcrConfig(), plates_for_ocr)
    right = sum(truth == got for truth, got in results)
    assert right >= len(results) - 1, results  # the weaker backend (README): one miss allowed


def test_easyocr_without_the_extra_names_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "easyocr", None)  # import easyocr now raises ModuleNotFoundError
    with pytest.raises(ModelError, match=r"pip install 'etle-edge\[ocr\]'"):
        build_recognizer(EasyOcrConfig())
