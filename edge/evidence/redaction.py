"""The redacted copies of one violation's evidence, made on the evidence worker's thread.

The detectors run on the overview frames and on the clip's keyframes only (`clip_keyframe_s`
apart, on the camera's frame count: neighbouring violations' clips share them); a clip frame
between two keyframes hides what either of them found, and each region matched across them over
the whole span of its path (`edge.privacy.redact.between`). If a detector fails, the copy fails
closed: everything but the violator's box is hidden, and the event says why.
The redacted clip is encoded frame by frame, so no second copy of the clip is held in memory.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from edge.core import Box
from edge.errors import EtleError, EvidenceError
from edge.evidence.clip import encode_images
from edge.privacy.config import PrivacyConfig
from edge.privacy.find import Found
from edge.privacy.redact import Mosaic, between, everything_but, redact, whole
from edge.sources import Frame

log = logging.getLogger(__name__)
METHOD = "mosaic+gaussian"
NEAREST_BOX_FRAMES = 2  # the violator's box from a frame this close when its own frame has none (detect_every)


class Finder(Protocol):
    """What to hide in one frame (`edge.privacy.find.RegionFinder`); `models` names its weights."""

    models: tuple[tuple[str, Path], ...]

    def find(self, image: NDArray[np.uint8], violator: Box | None, tiles: bool = True) -> Found: ...


@dataclass(frozen=True, slots=True)
class RedactionJob:
    stills: tuple[Frame, ...]  # the overview frames
    clip: tuple[Frame, ...]  # the clip's frames, in order (empty: no clip)
    boxes: Mapping[int, Box]  # the violator's box by frame index
    fps: float
    config: PrivacyConfig


@dataclass(frozen=True, slots=True)
class FrameFound:
    frame_index: int
    found: Found


@dataclass(frozen=True, slots=True)
class Redaction:
    """What was hidden in which frame, the redacted overview frames and the redacted clip."""

    stills: Mapping[int, NDArray[np.uint8]]  # frame index → redacted frame
    found: tuple[FrameFound, ...]  # every frame the detectors looked at (or the fallback hid)
    clip: bytes | None
    keyframes: tuple[int, ...]  # the clip frames the detectors ran on
    failure: str | None  # why everything but the violator was hidden; None: the detectors ran
    config: PrivacyConfig

    def image(self, frame: Frame) -> NDArray[np.uint8]:
        return self.stills[frame.index]


def violator_box(boxes: Mapping[int, Box], index: int) -> Box | None:
    """The violator's box in frame `index`, or in the nearest frame within `NEAREST_BOX_FRAMES`.

    >>> violator_box({10: (0, 0, 5, 5), 14: (1, 1, 6, 6)}, 12), violator_box({10: (0, 0, 5, 5)}, 13)
    ((0, 0, 5, 5), None)
    """
    for offset in range(NEAREST_BOX_FRAMES + 1):
        for candidate in (index - offset, index + offset):
            if candidate in boxes:
                return boxes[candidate]
    return None


def keyframes(indices: Sequence[int], step: int) -> tuple[int, ...]:
    """The clip's frames whose camera frame index is a multiple of `step`, and always its first and
    last. Counted from the camera's frame 0, not from the clip's start, so that the clips of
    violations close together share their keyframes (the finder looks at each frame once).

    >>> keyframes([5, 6, 7, 8, 9, 10, 11], 3), keyframes([7, 8, 9], 3), keyframes([], 3)
    ((5, 6, 9, 11), (7, 9), ())
    """
    step = max(1, step)
    chosen = [i for k, i in enumerate(indices) if i % step == 0 or k in (0, len(indices) - 1)]
    return tuple(chosen)


def _fallback(frame: Frame, boxes: Mapping[int, Box], reason: str) -> Found:
    box = violator_box(boxes, frame.index)
    return Found((everything_but(frame.image.shape, reason),), (whole(box),) if box is not None else ())


def _look(finder: Finder, frames: Sequence[Frame], job: RedactionJob) -> tuple[dict[int, Found], str | None]:
    found: dict[int, Found] = {}
    stills = {f.index for f in job.stills}
    for frame in frames:
        try:
            found[frame.index] = finder.find(frame.image, violator_box(job.boxes, frame.index), frame.index in stills)
        except (EtleError, ValueError, RuntimeError, cv2.error) as exc:
            reason = f"detectors failed ({exc}): everything but the violator hidden"
            log.error("redaction: %s", reason)
            return {}, reason
    return found, None


def _clip_images(job: RedactionJob, found: Mapping[int, Found], mosaic: Mosaic) -> Iterator[NDArray[np.uint8]]:
    known = sorted(found)
    for frame in job.clip:
        if frame.index in found:
            here = found[frame.index]
            yield redact(frame.image, here.regions, here.keep, mosaic)
            continue
        at = bisect.bisect(known, frame.index)
        k0, k1 = known[max(0, at - 1)], known[min(len(known) - 1, at)]
        yield redact(frame.image, between(found[k0].regions, found[k1].regions), (), mosaic)


def run_redaction(finder: Finder, job: RedactionJob) -> Redaction:
    """The redacted copies of one violation's stills and clip (the worker's job)."""
    config = job.config
    mosaic = Mosaic(config.cell_px, config.max_cells, config.margin)
    clip_indices = [f.index for f in job.clip]
    keys = keyframes(clip_indices, round(config.clip_keyframe_s * job.fps))
    looked = {f.index: f for f in job.stills} | {f.index: f for f in job.clip if f.index in keys}
    found, failure = _look(finder, [looked[i] for i in sorted(looked)], job)
    if failure is not None:  # fail closed, in every frame: no detector is needed for that
        found = {f.index: _fallback(f, job.boxes, failure) for f in (*job.stills, *job.clip)}
    stills = {f.index: redact(f.image, found[f.index].regions, found[f.index].keep, mosaic) for f in job.stills}
    clip = None
    if job.clip:
        try:
            clip = encode_images(_clip_images(job, found, mosaic), job.clip[0].image.shape, job.fps)
        except (EvidenceError, OSError, cv2.error) as exc:
            log.warning("redacted clip not made: %s", exc)  # nor is the original published without it
    recorded = tuple(FrameFound(i, found[i]) for i in sorted(found) if i in looked or failure is not None)
    return Redaction(stills, recorded, clip, keys, failure, config)


def privacy_record(redaction: Redaction, published: str) -> dict[str, Any]:
    """The event's `privacy` member: what was hidden where and why, and what was published."""
    config = redaction.config
    regions, kept = [], []
    for item in redaction.found:
        for region in item.found.regions:
            regions.append({"frame_index": item.frame_index, "kind": region.kind, "box": list(region.box),
                            "score": region.score, "reason": region.reason})
        why = "the violator's vehicle" if redaction.failure is not None else "the violator's plate"
        kept += [{"frame_index": item.frame_index, "box": list(box), "reason": why} for box in item.found.keep]
    return {
        "publish": published,
        "method": {"name": METHOD, "cell_px": config.cell_px, "max_cells": config.max_cells,
                   "margin": config.margin},
        "clip_keyframes": list(redaction.keyframes),
        "regions": regions,
        "kept": kept,
        "failure": redaction.failure,
    }
