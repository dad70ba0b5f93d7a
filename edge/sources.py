"""Frame sources: a video file, a folder of images, or a live OpenCV URL (RTSP/HTTP).

Every `Frame` carries its index and its capture time. For recordings the time is the clip's
start time plus index/fps, so a replay judges exactly as the live run did; for live sources
it is the wall clock at the moment the frame was read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.backoff import Backoff
from edge.errors import SourceError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
log = logging.getLogger(__name__)
HealthState = Literal["starting", "ok", "reconnecting", "ended", "failed"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One camera image (BGR, uint8) with its position in the stream and capture time."""

    image: NDArray[np.uint8] = field(repr=False)
    index: int
    captured_at: datetime

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """What the status report says about the camera."""

    state: HealthState = "starting"
    reconnects: int = 0
    last_error: str | None = None
    frames: int = 0

    def fault(self) -> str | None:
        """The camera's trouble in the box's words, for the status; None while it delivers."""
        if self.state not in ("reconnecting", "failed"):
            return None
        doing = "gave up" if self.state == "failed" else f"reconnecting (attempt {self.reconnects})"
        return f"camera: {self.last_error or 'no frames'}; {doing}"


class FrameSource(Protocol):
    """The port: anything that yields frames and can say how it is doing."""

    @property
    def health(self) -> SourceHealth: ...

    def frames(self) -> Iterator[Frame]: ...


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Backoff between reconnect attempts of a live source; `max_attempts=None` retries forever."""

    initial_s: float = 0.5
    max_s: float = 30.0
    max_attempts: int | None = None

    def backoff(self) -> Backoff:
        return Backoff(self.initial_s, self.max_s)


class VideoFileSource:
    """A recorded clip. Capture time = start_time + index / fps."""

    def __init__(self, path: Path, start_time: datetime, fps: float | None = None) -> None:
        if not path.is_file():
            raise SourceError(f"video file {path} does not exist")
        self._path = path
        self._start = start_time
        capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            raise SourceError(f"cannot open {path} as a video (corrupt or unsupported codec)")
        ok, _ = capture.read()
        native_fps = float(capture.get(cv2.CAP_PROP_FPS))
        # Container metadata; an estimate for some codecs, used only for progress display.
        self.frame_count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None
        capture.release()
        if not ok:
            raise SourceError(f"{path} has no readable frame (corrupt or empty video)")
        self.fps = fps if fps is not None else native_fps
        if self.fps <= 0:
            raise SourceError(f"{path} reports no frame rate; give one in the site file")
        self._health = SourceHealth()

    @property
    def health(self) -> SourceHealth:
        return self._health

    def frames(self) -> Iterator[Frame]:
        capture = cv2.VideoCapture(str(self._path))
        try:
            index = 0
            self._health = replace(self._health, state="ok")
            while True:
                ok, image = capture.read()
                if not ok:
                    break
                at = self._start + timedelta(seconds=index / self.fps)
                yield Frame(image=np.asarray(image, dtype=np.uint8), index=index, captured_at=at)
                index += 1
                self._health = replace(self._health, frames=index)
            self._health = replace(self._health, state="ended")
        finally:
            capture.release()


class ImageFolderSource:
    """A folder of stills, in name order, treated as a clip at `fps`."""

    def __init__(self, folder: Path, start_time: datetime, fps: float) -> None:
        self._files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self._files:
            raise SourceError(f"folder {folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
        self._start, self._fps = start_time, fps
        self._health = SourceHealth()

    @property
    def health(self) -> SourceHealth:
        return self._health

    def frames(self) -> Iterator[Frame]:
        self._health = replace(self._health, state="ok")
        for index, path in enumerate(self._files):
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise SourceError(f"{path} is not a readable image")
            at = self._start + timedelta(seconds=index / self._fps)
            yield Frame(image=np.asarray(image, dtype=np.uint8), index=index, captured_at=at)
            self._health = replace(self._health, frames=index + 1)
        self._health = replace(self._health, state="ended")


class StreamSource:
    """A live camera URL. Reconnects with jittered backoff; capture time is the wall clock.

    Frame indexes keep counting across reconnects, so they stay unique within a run.
    """

    def __init__(
        self,
        url: str,
        policy: ReconnectPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        stop: threading.Event | None = None,
        waiting: Callable[[], object] | None = None,
    ) -> None:
        """`stop`: once set, the source ends instead of waiting to reconnect (a clean stop must not
        wait out a dead camera's backoff). `waiting`: called at least once a second while it waits to
        reconnect (the systemd watchdog: a box waiting for its camera is not a stuck box)."""
        self._url = url
        self._policy = policy or ReconnectPolicy()
        self._sleep = sleep if stop is None else stop.wait
        self._stop = stop
        self._waiting = waiting
        self._health = SourceHealth()

    def _wait(self, delay: float) -> None:
        if self._waiting is None:
            self._sleep(delay)
            return
        left = delay
        while left > 0 and not (self._stop is not None and self._stop.is_set()):
            step = min(left, 1.0)
            self._sleep(step)
            left -= step
            self._waiting()

    @property
    def health(self) -> SourceHealth:
        return self._health

    def _open(self) -> cv2.VideoCapture | None:
        capture = cv2.VideoCapture(self._url)
        if capture.isOpened():
            return capture
        capture.release()
        return None

    def frames(self) -> Iterator[Frame]:
        index, backoff = 0, self._policy.backoff()
        while True:
            capture = self._open()
            if capture is not None:
                while True:
                    ok, image = capture.read()
                    if not ok:
                        break
                    backoff.reset()
                    self._health = replace(self._health, state="ok", frames=self._health.frames + 1)
                    at = datetime.now(UTC)
                    yield Frame(image=np.asarray(image, dtype=np.uint8), index=index, captured_at=at)
                    index += 1
                capture.release()
                error = "stream ended or stopped sending frames"
            else:
                error = "cannot connect"
            max_attempts = self._policy.max_attempts
            if max_attempts is not None and backoff.failures >= max_attempts:
                self._health = replace(self._health, state="failed", last_error=error)
                raise SourceError(f"{shown_url(self._url)}: {error}; gave up after {max_attempts} attempts")
            self._health = replace(
                self._health, state="reconnecting", last_error=error, reconnects=self._health.reconnects + 1
            )
            delay = backoff.next_delay()
            # One line per backoff step, in the box's words (FFmpeg's own lines say only "Connection refused").
            log.warning("camera %s: %s; reconnect attempt %d in %.1f s", shown_url(self._url), error,
                        self._health.reconnects, delay)
            self._wait(delay)
            if self._stop is not None and self._stop.is_set():
                return


def shown_url(url: str) -> str:
    """The URL without its password (rtsp://user:secret@host/... is how cameras are addressed)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def open_source(spec: str, fps: float, start_time: datetime | None, stop: threading.Event | None = None,
                waiting: Callable[[], object] | None = None) -> FrameSource:
    """Pick the source kind from the spec: a URL, a folder of images, or a video file. `stop` and
    `waiting`: see `StreamSource` (a file or folder ends by itself)."""
    if "://" in spec:
        return StreamSource(spec, stop=stop, waiting=waiting)
    path = Path(spec)
    start = start_time or datetime.now(UTC)
    if path.is_dir():
        return ImageFolderSource(path, start, fps)
    if not path.exists():
        raise SourceError(f"source {spec} does not exist (expected a video file, an image folder or a URL)")
    return VideoFileSource(path, start, fps)
