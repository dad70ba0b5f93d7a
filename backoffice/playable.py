"""A browser-playable copy of an evidence clip, made by the back office, never by the box.

The box records MPEG-4 Part 2 (0.15 s to encode a 4 s 720p clip on two cores, no licence
question), which browsers do not play. For the review page the back office transcodes it once
to VP8 WebM (royalty-free, played by every browser; ~2 s a clip) into `derived/`, outside the
evidence: the signed MP4 stays the record, and the page says the player shows a copy.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2

from edge.errors import EtleError

WEBM_TYPE = "video/webm"


class PlayableError(EtleError):
    """The clip could not be turned into a playable copy; the original is still there to download."""


def playable_copy(source: Path, cache_dir: Path, key: str) -> Path:
    """The WebM copy of `source`, made on first use (`key` names it: the clip's sha256)."""
    target = cache_dir / f"{key}.webm"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    video = cv2.VideoCapture(str(source))
    try:
        fps = video.get(cv2.CAP_PROP_FPS) or 10.0
        frames = []
        while True:
            ok, image = video.read()
            if not ok:
                break
            frames.append(image)
    finally:
        video.release()
    if not frames:
        raise PlayableError(f"{source.name}: no frame could be decoded")
    handle, temp = tempfile.mkstemp(suffix=".webm", dir=cache_dir)
    os.close(handle)
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(temp, cv2.VideoWriter.fourcc(*"VP80"), fps, (width, height))
    try:
        if not writer.isOpened():
            raise PlayableError("OpenCV cannot write VP8 WebM here")
        for image in frames:
            writer.write(image)
    finally:
        writer.release()
    os.replace(temp, target)  # whole or not at all, also when two requests race
    return target
