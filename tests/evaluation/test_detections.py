"""Recorded detections replay exactly what the real detector answered, call by call."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edge.detect.base import Detector
from edge.detect.build import build_detector
from edge.detect.config import CenterNetConfig
from edge.detect.region import Region
from edge.settings import DeviceSettings
from evaluation.detections import RecordingDetector, ReplayError, recording_for, recording_key
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


def test_a_run_on_every_nth_frame_replays_a_cut_of_the_every_frame_recording(tmp_path: Path) -> None:
    """The cadence's cost in recall is measured from one recording: a run detecting every 2nd frame
    gets frames 0, 2, 4 of the every-frame run, which is what the detector answers on them."""
    bus = cv2.imread(str(ultralytics_asset("bus.jpg")))
    frames = [bus, np.full_like(bus, 90), cv2.flip(bus, 1), cv2.flip(bus, 0), bus[:, ::2].copy()]
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"the recording key hashes the clip")
    region, every_frame = Region.frame((bus.shape[1], bus.shape[0])), DeviceSettings().resolved()
    every_second = every_frame.model_copy(update={"detect_every": 2})
    assert not recording_for(tmp_path, clip, region, every_second).exists()  # nothing to cut it from yet

    def build() -> Detector:
        return build_detector(every_frame.detector)

    full = RecordingDetector(build, recording_for(tmp_path, clip, region, every_frame))
    for frame in frames:
        full.detect(frame)
    full.save()
    path = recording_for(tmp_path, clip, region, every_second)
    assert path.exists() and path != full.path
    replay, detector = RecordingDetector(build, path), build()
    assert replay.replaying
    for frame in frames[::2]:
        got, direct = replay.detect(frame), detector.detect(frame)
        assert np.allclose(got.xyxy, direct.xyxy, atol=1e-3) and np.array_equal(got.class_id, direct.class_id)
    replay.save()  # three calls, as a run on 5 frames detecting every 2nd makes


def test_whether_ort_spin_waits_does_not_make_recordings_stale(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"a clip")
    region, settings = Region.frame((64, 48)), DeviceSettings().resolved()
    ort = settings.detector.ort.model_copy(update={"spin_wait": not settings.detector.ort.spin_wait})
    other = settings.model_copy(update={"detector": settings.detector.model_copy(update={"ort": ort})})
    assert recording_key(clip, region, other) == recording_key(clip, region, settings)
    threshold = settings.detector.model_copy(update={"score_threshold": 0.5})
    assert recording_key(clip, region, settings.model_copy(update={"detector": threshold})) != recording_key(
        clip, region, settings)
