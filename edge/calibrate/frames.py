"""Stills for the calibration page: one frame at a time from the camera's source.

Each `next()` moves on, so a technician can refresh until the road is clear or a lamp is
lit: a clip steps forward a couple of seconds, a folder to its next image, a live URL is
opened afresh (and closed again, so the tool never holds the camera's only stream).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.errors import SourceError
from edge.sources import IMAGE_SUFFIXES

STEP_S = 2.0  # how far a refresh moves through a recorded clip
URL_TIMEOUT_MS = 8000


@dataclass(frozen=True, slots=True)
class Still:
    """A frame to calibrate on, with a line saying where it came from (or why it is blank)."""

    image: NDArray[np.uint8] = field(repr=False)
    label: str
    error: str | None = None

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])


def placeholder(size: tuple[int, int], reason: str) -> Still:
    """A grey frame of the site's size, so geometry can still be edited without a camera."""
    width, height = size
    image = np.full((height, width, 3), 90, dtype=np.uint8)
    cv2.putText(image, "no frame: " + reason[:90], (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    return Still(image, "placeholder", reason)


def _read_video(path: Path, position: int) -> tuple[NDArray[np.uint8], int]:
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise SourceError(f"cannot open {path} as a video")
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or 1
        index = position % count
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, image = capture.read()
        if not ok:  # seeking past a short clip's real end: its count was an estimate
            capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = capture.read()
            index = 0
        if not ok:
            raise SourceError(f"{path} has no readable frame")
        return np.asarray(image, dtype=np.uint8), index
    finally:
        capture.release()


def _read_url(url: str) -> NDArray[np.uint8]:
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, URL_TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, URL_TIMEOUT_MS]
    capture = cv2.VideoCapture(url, cv2.CAP_ANY, params)
    try:
        ok, image = capture.read() if capture.isOpened() else (False, None)
        if not ok:
            raise SourceError(f"{url}: no frame within {URL_TIMEOUT_MS / 1000:.0f} s (camera down or wrong URL)")
        return np.asarray(image, dtype=np.uint8)
    finally:
        capture.release()


class StillSource:
    """Grabs stills from a video file, an image, a folder of images or a camera URL."""

    def __init__(self, spec: str, fps: float, size: tuple[int, int]) -> None:
        self._spec = spec
        self._step = max(1, round(STEP_S * fps))
        self._size = size
        self._position = 0
        self._lock = threading.Lock()

    def next(self) -> Still:
        """The next still; a source that fails gives a placeholder saying why, never an exception."""
        with self._lock:
            try:
                return self._grab()
            except SourceError as exc:
                return placeholder(self._size, str(exc))

    def _grab(self) -> Still:
        spec = self._spec
        if "://" in spec:
            return Still(_read_url(spec), f"{spec} (live)")
        path = Path(spec)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                raise SourceError(f"folder {path} holds no images")
            path = files[self._position % len(files)]
            self._position += 1
            return Still(self._imread(path), path.name)
        if path.suffix.lower() in IMAGE_SUFFIXES:
            return Still(self._imread(path), path.name)
        if not path.is_file():
            raise SourceError(f"source {spec} does not exist")
        image, index = _read_video(path, self._position)
        self._position = index + self._step
        return Still(image, f"{path.name} frame {index}")

    @staticmethod
    def _imread(path: Path) -> NDArray[np.uint8]:
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise SourceError(f"{path} is not a readable image")
        return np.asarray(image, dtype=np.uint8)
