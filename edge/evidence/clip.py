"""The evidence clip: the frames around the act as a short MP4, cut from the ring buffer.

MPEG-4 Part 2 (`mp4v`), because OpenCV's wheels encode it everywhere without an H.264
licence; every common player (VLC, ffmpeg, the back office's tools) reads it. The stills in
the folder stay the reference pictures: the clip shows the motion and the signal over time.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.errors import EvidenceError
from edge.sources import Frame

CLIP_NAME = "clip.mp4"
CLIP_TYPE = "video/mp4"
log = logging.getLogger(__name__)


def encode_clip(frames: Sequence[Frame], fps: float) -> bytes:
    """The frames (in order, all the same size) as MP4 bytes."""
    if not frames:
        raise EvidenceError("no frames for the clip")
    return encode_images((frame.image for frame in frames), frames[0].image.shape, fps)


def encode_images(images: Iterable[NDArray[np.uint8]], shape: tuple[int, ...], fps: float) -> bytes:
    """Images of `shape` as MP4 bytes, taken one at a time (a redacted clip is made frame by frame,
    never held whole in memory)."""
    height, width = shape[:2]
    with tempfile.TemporaryDirectory(prefix="etle-clip-") as tmp:
        path = Path(tmp) / CLIP_NAME  # OpenCV writes video to files only
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
        if not writer.isOpened():
            raise EvidenceError("OpenCV cannot write mp4v video here")
        try:
            for image in images:
                writer.write(image)
        finally:
            writer.release()
        return path.read_bytes()


def clip_or_none(frames: Sequence[Frame], fps: float) -> bytes | None:
    """The clip, or None (logged) when it cannot be made: the stills are the evidence of record,
    and a clip that cannot be encoded must not hold the violation back."""
    try:
        return encode_clip(frames, fps)
    except (EvidenceError, OSError, cv2.error) as exc:
        log.warning("evidence clip not made: %s", exc)
        return None
