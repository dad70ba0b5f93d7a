"""Which camera frames the detector sees, and what that costs: every `every`-th frame (a box
that cannot detect at the camera's rate tracks at a lower one), timed per call."""

from __future__ import annotations

import time

import supervision as sv

from edge.detect.base import Detector
from edge.sources import Frame


class Cadence:
    def __init__(self, detector: Detector, every: int) -> None:
        if every < 1:
            raise ValueError("detect every Nth frame needs N ≥ 1")
        self._detector = detector
        self.every = every
        self.calls = 0
        self.seconds = 0.0  # wall-clock time inside the detector

    def detect(self, frame: Frame) -> sv.Detections | None:
        """The frame's detections, or None on a frame the detector skips."""
        if frame.index % self.every:
            return None
        started = time.perf_counter()
        detections = self._detector.detect(frame.image)
        self.seconds += time.perf_counter() - started
        self.calls += 1
        return detections
