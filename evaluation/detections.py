"""Recorded detections: run the detector over a scene once, replay it for every rule change.

The detector is most of a scene's run time (a CNN on every frame of a 1080p clip on two
cores); the tracker, rules, signal reader and evidence are not. A run records what the
detector answered, call by call, into `<scene>/detections-<key>.npz`; a later run whose
clip, model, detector settings, detection region and cadence are the same (the key hashes
them all) replays the file instead of running the CNN. Anything else that changed (tracker,
footprint, rules, plates) is run for real, so a replayed run judges exactly as a live one
would on the same detections. A replay that is asked for more calls than were recorded is a
different run: it fails rather than guess.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv
from numpy.typing import ArrayLike, NDArray

from edge.detect.base import Detector
from edge.detect.region import Region
from edge.ledger.store import file_sha256
from edge.settings import DeviceSettings

PREFIX = "detections-"


class ReplayError(RuntimeError):
    """The recording does not belong to this run."""


def recording_key(clip: Path, region: Region, settings: DeviceSettings) -> str:
    """Changes whenever the detector could answer differently on this clip."""
    parts = {
        "clip": file_sha256(clip),
        "model": file_sha256(settings.detector.model),
        # Spin-waiting changes when ORT's threads sleep, never what the detector answers.
        "detector": settings.detector.model_dump(mode="json", exclude={"model": True, "ort": {"spin_wait"}}),
        "region": [region.x0, region.y0, region.x1, region.y1],
        "detect_every": settings.detect_every,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def recording_path(scene: Path, key: str) -> Path:
    return scene / f"{PREFIX}{key}.npz"


def recording_for(scene: Path, clip: Path, region: Region, settings: DeviceSettings) -> Path:
    """Where this run's detections are (or will be) recorded. A run that detects every Nth frame
    and has no recording of its own gets one cut from a run that detected every frame, when the
    scene has one: the detector keeps no state between calls, so it answers frame k × N the same
    whichever frames it saw before, and call k of this run is call k × N of that one. How much
    recall a cadence costs is then measured without running the CNN again."""
    path = recording_path(scene, recording_key(clip, region, settings))
    every = settings.detect_every
    if every > 1 and not path.exists():
        full = recording_path(scene, recording_key(clip, region, settings.model_copy(update={"detect_every": 1})))
        if full.exists():
            _store(path, _load(full)[::every])
    return path


class RecordingDetector:
    """Answers from `path` when it exists; else asks the detector `build` makes, and keeps
    every answer for `save`."""

    def __init__(self, build: Callable[[], Detector], path: Path) -> None:
        self.path = path
        self.replaying = path.exists()
        self._inner: Detector | None = None if self.replaying else build()
        self._calls = 0
        self._recorded: list[sv.Detections] = []
        self._replay: list[sv.Detections] = _load(path) if self.replaying else []

    def detect(self, image: NDArray[np.uint8]) -> sv.Detections:
        call = self._calls
        self._calls += 1
        if self._inner is None:
            if call >= len(self._replay):
                raise ReplayError(f"{self.path} holds {len(self._replay)} detector calls; call {call + 1} asked")
            return self._replay[call]
        found = self._inner.detect(image)
        self._recorded.append(found)
        return found

    def save(self) -> None:
        """Write what was recorded (atomically; nothing when replaying)."""
        if self.replaying:
            if self._calls != len(self._replay):
                raise ReplayError(f"{self.path} holds {len(self._replay)} detector calls; the run made {self._calls}")
            return
        _store(self.path, self._recorded)


def load_by_frame(path: Path, every: int) -> dict[int, sv.Detections]:
    """A recording's answers by the frame they were made on (call k on frame k × `every`)."""
    return {k * every: found for k, found in enumerate(_load(path))}


def _store(path: Path, calls: list[sv.Detections]) -> None:
    counts = np.array([len(d) for d in calls], dtype=np.int64)
    filled = [d for d in calls if len(d)]

    def column(values: list[ArrayLike], shape: tuple[int, ...], dtype: type) -> NDArray[Any]:
        parts: list[NDArray[Any]] = [np.asarray(v, dtype=dtype).reshape(-1, *shape) for v in values]
        return np.concatenate(parts) if parts else np.zeros((0, *shape), dtype=dtype)

    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp, counts=counts,
        xyxy=column([d.xyxy for d in filled], (4,), np.float32),
        confidence=column([d.confidence if d.confidence is not None else np.ones(len(d)) for d in filled],
                          (), np.float32),
        class_id=column([d.class_id if d.class_id is not None else np.zeros(len(d)) for d in filled], (), np.int64),
        class_name=column([d.data["class_name"] for d in filled], (), np.str_),
    )
    tmp.replace(path)


def _load(path: Path) -> list[sv.Detections]:
    with np.load(path) as data:
        counts, xyxy, conf, cls, names = (data[k] for k in ("counts", "xyxy", "confidence", "class_id", "class_name"))
    out, start = [], 0
    for n in counts:
        end = start + int(n)
        out.append(sv.Detections(xyxy=xyxy[start:end], confidence=conf[start:end], class_id=cls[start:end],
                                 data={"class_name": names[start:end]}))
        start = end
    return out
