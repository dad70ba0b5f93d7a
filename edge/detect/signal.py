"""Signal state from the signal head's lamps in the image (perception, so it lives with the
detectors; rules only see the resulting `SignalState`).

Per frame, each lamp ROI gets a brightness (mean HSV value, 0–1, i.e. the mean of each pixel's
brightest channel, computed on the ROI alone: converting the whole frame cost 8 % of the pipeline
thread at 1080p for three small patches); the lit lamp must be bright
and clearly brighter than the other two, else the reading is `unknown`. A debouncer then
holds the previous state until the same reading repeats for `debounce_frames` frames: LED
PWM and rolling shutter dim a lit lamp for single frames, and a glitch must neither flip a
phase nor end one. The confirmed state's `since` is the first frame of its run, so time into
red is measured from when red actually showed, not from when we became sure of it.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from edge.config.site import LampRois, Signal
from edge.core import Box, LightState, SignalState
from edge.detect.config import SignalVisionConfig

LAMPS: tuple[LightState, ...] = ("red", "amber", "green")


def _level(image: NDArray[np.uint8], box: Box) -> float:
    x1, y1, x2, y2 = (round(v) for v in box)
    patch = image[max(0, y1) : y2, max(0, x1) : x2]
    # HSV's value channel is max(B, G, R) (OpenCV's BGR2HSV, 8-bit), so no conversion is needed.
    return float(patch.max(axis=2).mean()) / 255.0 if patch.size else 0.0


def lamp_levels(image: NDArray[np.uint8], rois: LampRois) -> tuple[float, float, float]:
    """Brightness of the red, amber and green lamp regions, 0–1."""
    red, amber, green = (_level(image, getattr(rois, lamp)) for lamp in LAMPS)
    return red, amber, green


def classify(levels: tuple[float, float, float], config: SignalVisionConfig) -> LightState:
    """One frame's reading: the single clearly lit lamp, else unknown.

    >>> cfg = SignalVisionConfig()
    >>> classify((0.9, 0.1, 0.1), cfg), classify((0.2, 0.1, 0.1), cfg), classify((0.9, 0.85, 0.1), cfg)
    ('red', 'unknown', 'unknown')
    """
    order = np.argsort(levels)[::-1]
    best, second = levels[order[0]], levels[order[1]]
    if best < config.on_level or best - second < config.margin:
        return "unknown"
    return LAMPS[int(order[0])]


class Debouncer:
    """Holds a state until a new reading repeats `frames` times in a row."""

    def __init__(self, signal_id: str, frames: int, start: datetime) -> None:
        self._frames = frames
        self.state = SignalState(signal_id=signal_id, state="unknown", since=start)
        self._candidate: LightState = "unknown"
        self._candidate_since = start
        self._count = 0

    def push(self, reading: LightState, at: datetime) -> SignalState:
        if reading == self.state.state:
            self._count = 0
            return self.state
        if reading != self._candidate or self._count == 0:
            self._candidate, self._candidate_since, self._count = reading, at, 0
        self._count += 1
        if self._count >= self._frames:
            self.state = self.state.after(reading, self._candidate_since)
            self._count = 0
        return self.state


class VisionSignalReader:
    """Reads every vision-sourced signal of a site from each frame."""

    def __init__(self, signals: list[Signal], config: SignalVisionConfig, start: datetime) -> None:
        self._config = config
        self._signals = [s for s in signals if s.source == "vision" and s.roi is not None]
        self._debouncers = {s.id: Debouncer(s.id, config.debounce_frames, start) for s in self._signals}

    def read(self, image: NDArray[np.uint8], at: datetime) -> dict[str, SignalState]:
        states = {}
        for sig in self._signals:
            assert sig.roi is not None  # filtered in __init__
            reading = classify(lamp_levels(image, sig.roi), self._config)
            states[sig.id] = self._debouncers[sig.id].push(reading, at)
        return states
