"""Real frames of the demo clip, and what a tampered or moved camera makes of them."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.config.load import load_site
from edge.tamper.config import TamperConfig
from edge.tamper.reference import anchor_points, load_reference
from edge.tamper.watch import ViewState, ViewWatch
from tests.conftest import DEMO

FPS = 10
SIZE = (1280, 720)
Image = NDArray[np.uint8]
Change = Callable[[Image], Image]


def clip_frames() -> Iterator[Image]:
    """The demo clip's frames, decoded one at a time (all 300 at once would be 830 MB)."""
    capture = cv2.VideoCapture(str(DEMO / "clip.mp4"))
    try:
        while True:
            ok, image = capture.read()
            if not ok:
                return
            yield np.asarray(image, dtype=np.uint8)
    finally:
        capture.release()


def demo_watch(config: TamperConfig | None = None, with_reference: bool = True) -> ViewWatch:
    """The watch as the box would build it for the demo site: its reference, its anchors."""
    site = load_site(DEMO / "site.yaml").site
    reference = load_reference(DEMO / "site.yaml", site.calibration.version) if with_reference else None
    return ViewWatch(reference, config or TamperConfig(), anchor_points(site.calibration))


def _warp(image: Image, matrix: NDArray[np.float64]) -> Image:
    warped = cv2.warpPerspective(image, matrix, SIZE, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(warped, dtype=np.uint8)


def shifted(image: Image, dx: float, dy: float = 0.0) -> Image:
    return _warp(image, np.array([[1, 0, dx], [0, 1, dy], [0, 0, 1]], dtype=np.float64))


def rotated(image: Image, degrees: float) -> Image:
    """Rolled about the frame's centre (a camera twisted on its mount)."""
    matrix = np.vstack([cv2.getRotationMatrix2D((SIZE[0] / 2, SIZE[1] / 2), degrees, 1.0), [0, 0, 1]])
    return _warp(image, matrix)


def panned(image: Image, degrees: float) -> Image:
    """Turned sideways about the lens (a knocked camera): the exact homography K R K⁻¹ of the
    demo's camera (f = 1800 px, scripts/make_demo.py)."""
    k = np.array([[1800.0, 0, SIZE[0] / 2], [0, 1800.0, SIZE[1] / 2], [0, 0, 1]])
    r = np.radians(degrees)
    turn = np.array([[np.cos(r), 0, np.sin(r)], [0, 1, 0], [-np.sin(r), 0, np.cos(r)]])
    return _warp(image, k @ turn @ np.linalg.inv(k))


def blurred(image: Image, sigma: float) -> Image:
    return np.asarray(cv2.GaussianBlur(image, (0, 0), sigma), dtype=np.uint8)


def filled(image: Image, level: int) -> Image:
    """A black (lens covered, sensor dead) or white (glare) picture with a little sensor noise."""
    noise = np.random.default_rng(level).integers(-2, 3, image.shape, dtype=np.int16)
    return np.asarray(np.clip(noise + level, 0, 255), dtype=np.uint8)


def occluded(image: Image, share: float) -> Image:
    """A flat grey box over `share` of the frame's area, centred (a bus or lorry right in front)."""
    out = image.copy()
    side = np.sqrt(share)
    w, h = int(SIZE[0] * side), int(SIZE[1] * side)
    x, y = (SIZE[0] - w) // 2, (SIZE[1] - h) // 2
    out[y : y + h, x : x + w] = 128
    return out


@dataclass(frozen=True)
class Segment:
    """`seconds` of the clip, each frame changed by `change` (None: as recorded); `freeze`: the
    segment's first frame repeated, byte for byte, as a hung camera or decoder delivers it."""

    seconds: float
    change: Change | None = None
    freeze: bool = False


@dataclass(frozen=True)
class Step:
    t_s: float
    state: ViewState
    ms: float


def play(watch: ViewWatch, segments: Sequence[Segment]) -> list[Step]:
    """Feed the clip, changed segment by segment, at its 10 fps; every frame's verdict and cost."""
    steps: list[Step] = []
    frames = clip_frames()
    index = 0
    for segment in segments:
        held: Image | None = None
        for _ in range(round(segment.seconds * FPS)):
            image = next(frames)
            image = segment.change(image) if segment.change is not None else image
            if segment.freeze:
                held = image if held is None else held
                image = held
            t_s = index / FPS
            start = time.perf_counter()
            state = watch.check(image, t_s)
            steps.append(Step(t_s, state, (time.perf_counter() - start) * 1000))
            index += 1
    return steps


def first(steps: Sequence[Step], test: Callable[[Step], bool], after_s: float = 0.0) -> float | None:
    """The time of the first step at or after `after_s` that passes `test`."""
    return next((s.t_s for s in steps if s.t_s >= after_s and test(s)), None)
