"""Recorded detections replay exactly what the real detector answered, call by call."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.detect.base import Detector
from edge.detect.build import build_detector
from edge.detect.config import CenterNetConfig
from evaluation.detections import RecordingDetector, ReplayError
from tests.conftest import MODELS, ultralytics_asset


def test_a_recording_replays_every_call_and_refuses_another_run(tmp_path: Path) -> None:
    bus = cv2.imread(str(ultralytics_asset("bus.jpg")))
    frames = [bus, np.full_like(bus, 90), cv2.flip(bus, 1)]  # the middle one finds nothing
    path = tmp_path / "detections-x.npz"
    built: list[int] = []

    def build() -> Detector:
        built.append(1)
        return build_detector(CenterNetConfig(model=MODELS / "centernet.onnx"))

    recorder = RecordingDetector(build, path)
    live = [recorder.detect(f) for f in frames]
    recorder.save()
    assert not recorder.replaying and path.exists() and len(live[1]) == 0 and len(live[0]) > 0

    replay = RecordingDetector(build, path)
    assert replay.replaying and len(built) == 1  # no detector built for a replay
    again = [replay.detect(np.zeros((1, 1, 3), np.uint8)) for _ in frames]
    for a, b in zip(live, again, strict=True):
        assert np.array_equal(a.xyxy, b.xyxy) and np.array_equal(a.class_id, b.class_id)
        assert np.allclose(a.confidence, b.confidence)
        assert list(a.data["class_name"]) == list(b.data["class_name"])
    replay.save()  # as many calls as recorded: fine
    with pytest.raises(ReplayError, match="holds 3 detector calls"):
        replay.detect(frames[0])

    short = RecordingDetector(build, path)
    short.detect(frames[0])
    with pytest.raises(ReplayError, match="the run made 1"):
        short.save()
