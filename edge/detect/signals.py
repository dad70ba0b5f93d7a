"""Every signal head of a site, each read from its source: vision signals from the frame's lamp
regions, controller signals from the phase messages delivery receives (`controller`)."""

from __future__ import annotations

from datetime import UTC, datetime

from edge.config.site import Signal
from edge.core import SignalState
from edge.detect.config import SignalControllerConfig, SignalVisionConfig
from edge.detect.signal import VisionSignalReader
from edge.detect.signal_controller import ControllerSignalReader
from edge.sources import Frame


class SiteSignals:
    def __init__(self, signals: list[Signal], vision: SignalVisionConfig, controller: SignalControllerConfig) -> None:
        self._signals = signals
        self._vision_config = vision
        # Each vision signal's debounce starts at the first frame's capture time, known only then.
        self._vision: VisionSignalReader | None = None
        # Fed by the delivery's MQTT thread; None when every signal is read by vision.
        controlled = any(s.source == "controller" for s in signals)
        self.controller = ControllerSignalReader(signals, controller, datetime.now(UTC)) if controlled else None

    def read(self, frame: Frame) -> dict[str, SignalState]:
        if self._vision is None:
            self._vision = VisionSignalReader(self._signals, self._vision_config, frame.captured_at)
        states = self._vision.read(frame.image, frame.captured_at)
        if self.controller is not None:
            states |= self.controller.read(frame.captured_at)
        return states
