"""The camera check: frames come, at the size and rate the site file was calibrated for.

A live camera is read for a couple of seconds and its rate measured. A file plays as fast as it
decodes, so its rate says nothing: the container's rate is compared instead (the box stamps a
clip's frames with the site file's rate, so the two must agree). Passwords never reach a detail.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import cv2

from edge.errors import SourceError
from edge.selftest.probe import Budget, Finding, failed, passed
from edge.sources import FrameSource, ReconnectPolicy, StreamSource, VideoFileSource, open_source, shown_url

LIVE_WINDOW_S = 2.0
FILE_FRAMES = 5
FPS_TOLERANCE = 0.2  # a live camera's measured rate, relative
FILE_FPS_TOLERANCE = 0.01  # a container's declared rate, relative


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """Where the frames come from (already resolved against the site file) and what they should be."""

    source: str
    fps: float
    resolution: tuple[int, int]


@dataclass(frozen=True, slots=True)
class Sample:
    sizes: frozenset[tuple[int, int]]
    arrivals: tuple[float, ...]  # monotonic seconds, one per frame

    def rate(self) -> float | None:
        """Frames per second after the first (connecting delays the first, and a camera may burst
        its buffer then); None with too few frames to tell."""
        steps = self.arrivals[1:]
        if len(steps) < 3 or steps[-1] <= steps[0]:
            return None
        return (len(steps) - 1) / (steps[-1] - steps[0])


def _open(spec: CameraSpec, budget: Budget) -> FrameSource:
    if "://" in spec.source:
        # One attempt: a selftest reports the dead camera instead of waiting out the reconnect backoff.
        return StreamSource(spec.source, ReconnectPolicy(max_attempts=0), stop=budget.cancel)
    return open_source(spec.source, spec.fps, None, budget.cancel)


def _sample(source: FrameSource, budget: Budget, live: bool) -> Sample:
    sizes: set[tuple[int, int]] = set()
    arrivals: list[float] = []
    window = min(LIVE_WINDOW_S, budget.left() / 2)
    for frame in source.frames():
        arrivals.append(time.monotonic())
        sizes.add(frame.size)
        done = arrivals[-1] - arrivals[0] >= window if live else len(arrivals) >= FILE_FRAMES
        if done or budget.over():
            break
    return Sample(frozenset(sizes), tuple(arrivals))


def _size(size: tuple[int, int]) -> str:
    return f"{size[0]}×{size[1]}"


def _rate(spec: CameraSpec, source: FrameSource, sample: Sample) -> tuple[bool, str]:
    """Whether the rate fits the site file's, and how it was found."""
    if isinstance(source, VideoFileSource):
        capture = cv2.VideoCapture(spec.source)
        declared = float(capture.get(cv2.CAP_PROP_FPS))
        capture.release()
        fits = abs(declared - spec.fps) <= FILE_FPS_TOLERANCE * spec.fps
        return fits, f"{declared:g} fps by the file's container (not measured: a file plays as fast as it decodes)"
    if not isinstance(source, StreamSource):
        return True, "an image folder has no rate of its own (the site file's is used)"
    measured = sample.rate()
    if measured is None:
        return False, f"too few frames to measure the rate ({len(sample.arrivals)} in {LIVE_WINDOW_S:g} s)"
    window = sample.arrivals[-1] - sample.arrivals[0]
    return abs(measured - spec.fps) <= FPS_TOLERANCE * spec.fps, f"{measured:.1f} fps measured over {window:.1f} s"


def check_camera(spec: CameraSpec, budget: Budget) -> Finding:
    shown = shown_url(spec.source)
    live = "://" in spec.source
    where = f"camera {shown}" if live else f"camera file {Path(spec.source)}"
    start = time.monotonic()
    try:
        source = _open(spec, budget)
    except SourceError as exc:
        return failed(f"camera: {exc}")
    try:
        sample = _sample(source, budget, live)
    except SourceError as exc:
        # A stream's own words ("cannot connect"); its exception adds the retry count, moot here.
        return failed(f"{where}: {source.health.last_error or exc}")
    if not sample.arrivals:
        return failed(f"{where}: no frame in {time.monotonic() - start:.0f} s")
    expected = f"the site file says {_size(spec.resolution)} at {spec.fps:g} fps"
    if sample.sizes != {spec.resolution}:
        sizes = ", ".join(_size(s) for s in sorted(sample.sizes))
        return failed(f"{where}: frames are {sizes}, but {expected} (its calibration is in those pixels)")
    fits, rate = _rate(spec, source, sample)
    detail = f"{where}: {_size(spec.resolution)}, {rate}; {expected}"
    return passed(detail) if fits else failed(f"{detail}: the rates differ")
