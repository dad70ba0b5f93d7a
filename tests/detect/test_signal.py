"""Signal lamps: one-frame classification and debouncing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest

from edge.config.site import LampRois, Signal
from edge.core import LightState
from edge.detect.config import SignalVisionConfig
from edge.detect.signal import Debouncer, VisionSignalReader, classify, lamp_levels

T0 = datetime(2026, 1, 15, tzinfo=UTC)
CFG = SignalVisionConfig()


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ((0.9, 0.1, 0.1), "red"),
        ((0.1, 0.8, 0.1), "amber"),
        ((0.1, 0.1, 0.7), "green"),
        ((0.3, 0.1, 0.1), "unknown"),   # too dim: a lamp glimpsed through glare or night
        ((0.9, 0.85, 0.1), "unknown"),  # two lamps lit: ambiguous
        ((0.0, 0.0, 0.0), "unknown"),   # dark head (power cut, occluded)
    ],
)
def test_classify(levels: tuple[float, float, float], expected: LightState) -> None:
    assert classify(levels, CFG) == expected


def run(readings: str) -> list[tuple[LightState, int]]:
    """Feed R/A/G/? readings one per 0.1 s; return (state, since-frame) after each."""
    names: dict[str, LightState] = {"R": "red", "A": "amber", "G": "green", "?": "unknown"}
    deb = Debouncer("s", frames=3, start=T0)
    out = []
    for i, ch in enumerate(readings):
        state = deb.push(names[ch], T0 + timedelta(seconds=i / 10))
        out.append((state.state, round((state.since - T0).total_seconds() * 10)))
    return out


def test_debounce_confirms_after_three_and_dates_from_the_first() -> None:
    assert run("GGGAAARRRR")[-1] == ("red", 6)
    assert run("GGG")[-1] == ("green", 0)


def test_single_frame_dropouts_are_ignored() -> None:
    # LED PWM: a red lamp reads dark for one frame, twice; red must hold with its original onset.
    assert [s for s, _ in run("RRRR?RRR?RR")][3:] == ["red"] * 8
    assert run("RRRR?RRR?RR")[-1] == ("red", 0)


def test_sustained_unknown_becomes_unknown() -> None:
    assert run("RRRR???")[-1] == ("unknown", 4)


def test_empty_input_starts_unknown() -> None:
    assert Debouncer("s", 3, T0).state.state == "unknown"


def test_reader_on_drawn_lamps() -> None:
    sig = Signal.model_validate({"id": "s", "source": "vision", "roi": {
        "red": (10, 10, 30, 30), "amber": (10, 40, 30, 60), "green": (10, 70, 30, 90)}})
    image = np.zeros((100, 40, 3), dtype=np.uint8)
    image[10:30, 10:30] = (30, 30, 250)  # BGR red, lit
    reader = VisionSignalReader([sig], CFG, T0)
    states = [reader.read(image, T0 + timedelta(seconds=i / 10))["s"].state for i in range(3)]
    assert states == ["unknown", "unknown", "red"]


def test_reader_ignores_controller_signals() -> None:
    sig = Signal.model_validate({"id": "c", "source": "controller"})
    assert VisionSignalReader([sig], CFG, T0).read(np.zeros((10, 10, 3), np.uint8), T0) == {}


def test_lamp_levels_are_the_mean_hsv_value_of_each_region_without_converting_the_frame() -> None:
    """The reader takes each pixel's brightest channel on the lamp regions only; it must read what
    OpenCV's HSV value channel of the whole frame reads there (partly outside the frame included)."""
    image = np.random.default_rng(3).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    rois = LampRois.model_validate(
        {"red": (5.4, 7, 33, 29.6), "amber": (40, 50, 71, 90), "green": (150, 100, 190, 140)})
    value = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)[:, :, 2].astype(np.float64) / 255.0
    expected = (value[7:30, 5:33].mean(), value[50:90, 40:71].mean(), value[100:140, 150:160].mean())
    assert lamp_levels(image, rois) == pytest.approx(expected, abs=1e-12)
