"""The evidence of one violation, assembled from its frames: pure (frames in, a bundle out, no I/O).

Pictures follow red-light camera practice and the ETLE confirmation letter: an overview
before the act (vehicle still on the legal side), an overview at the act, one after it, a
close-up of the vehicle, the plate crop, and an annotated copy of the act so the unannotated
original is always there too. The clip (encoded off the pipeline thread) and the plate read
come in already made; `edge.evidence.writer` encodes, signs and stores the bundle.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from edge.config.site import SiteFile
from edge.core import Violation
from edge.evidence.config import EvidenceConfig
from edge.evidence.event import rfc3339
from edge.evidence.redaction import Redaction
from edge.evidence.ring import FrameRing
from edge.imaging import crop_with_margin
from edge.overlay import annotate_violation
from edge.plates.reader import PlateOutcome
from edge.sources import Frame


@dataclass(frozen=True, slots=True)
class Shot:
    """One picture of the evidence: its file name, its role in the event and the frame it shows."""

    name: str
    role: str
    frame: Frame
    image: NDArray[np.uint8]
    source: str | None = None  # a redacted copy: the original's name


@dataclass(frozen=True, slots=True)
class Bundle:
    """Everything one evidence folder holds, before encoding: the pictures, the clip (dated by
    its first frame), the plate read (None: reading is off) and the redacted copies."""

    violation: Violation
    shots: tuple[Shot, ...]
    plate: PlateOutcome | None
    clip: bytes | None
    clip_start: Frame | None
    redacted: tuple[Shot, ...] = ()  # the pictures' redacted copies (empty: redaction is off)
    redaction: Redaction | None = None  # what was hidden, and the redacted clip


def measure_line(violation: Violation) -> str:
    """The caption's last line: the signal for light rules, else the act's measured details."""
    details = violation.details
    if "plate_parity" in details:
        return f"{details['plate_parity']} plate on an {details['date_parity']} date ({details['date']})"
    if "signal_state" in details:
        into = f"  +{details['time_into_red_s']} s into red" if "time_into_red_s" in details else ""
        return f"signal {details['signal_state']}{into}"
    shown = [f"{k} {v}" for k, v in details.items() if isinstance(v, int | float) and not isinstance(v, bool)]
    return "  ".join(shown[:4]) or violation.feature


def caption(violation: Violation, plate: PlateOutcome | None, timezone: str) -> list[str]:
    lines = [
        f"{violation.kind}  lane {violation.lane}  track {violation.track_id} ({violation.vehicle_class})",
        f"{rfc3339(violation.detected_at, timezone)}  frame {violation.frame_index}",
        measure_line(violation),
    ]
    if plate is not None:  # above the signal line, which the overlay colours by the lamp
        lines.insert(-1, f"plate {plate.plate.formatted} ({plate.plate.confidence:.2f})"
                     if plate.plate is not None else "plate unreadable")
    return lines


Stills = tuple[Frame, Frame, Frame | None]  # before, at, after (None: no frame after the act's yet)


def pick_stills(violation: Violation, frames: FrameRing, config: EvidenceConfig, fps: float) -> Stills:
    """The frames of the overview pictures: before the act, at it, and after it."""
    def pick(index: int) -> Frame:
        frame = frames.nearest(index)
        if frame is None:
            raise ValueError("no frame kept for the evidence")
        return frame

    before = pick(min(violation.before_frame, violation.frame_index - round(config.before_s * fps)))
    at = pick(violation.frame_index)
    after = pick(violation.frame_index + round(config.after_s * fps))
    return before, at, after if after.index > at.index else None


def _pictures(violation: Violation, stills: Stills, caption_lines: list[str], site: SiteFile,
              config: EvidenceConfig, image: Callable[[Frame], NDArray[np.uint8]]) -> list[Shot]:
    """The pictures drawn from the overview frames, each frame's pixels given by `image` (the
    original, or its redacted copy): the same pictures either way."""
    before, at, after = stills
    shots = [Shot("overview_before.jpg", "overview_before", before, image(before)),
             Shot("overview_at.jpg", "overview_at", at, image(at))]
    if after is not None:
        shots.append(Shot("overview_after.jpg", "overview_after", after, image(after)))
    shots.append(Shot("vehicle.jpg", "vehicle_closeup", at, crop_with_margin(image(at), violation.box,
                                                                              config.closeup_margin)))
    annotated = annotate_violation(image(at), site.calibration, violation.box, caption_lines,
                                   str(violation.details.get("signal_state", "unknown")))
    shots.append(Shot("overview_at_annotated.jpg", "overview_annotated", at, annotated))
    return shots


def redacted_name(name: str) -> str:
    """The file name of a picture's or clip's redacted copy.

    >>> redacted_name("overview_at.jpg"), redacted_name("clip.mp4")
    ('overview_at.redacted.jpg', 'clip.redacted.mp4')
    """
    stem, dot, suffix = name.rpartition(".")
    return f"{stem}.redacted.{suffix}" if dot else f"{name}.redacted"


def assemble(
    violation: Violation, frames: FrameRing, site: SiteFile, config: EvidenceConfig, fps: float,
    made: tuple[PlateOutcome | None, bytes | None, Redaction | None],
) -> Bundle:
    """The bundle of one violation from the frames kept for it; `made` = (plate read, clip,
    redacted copies: None when redaction is off)."""
    plate, clip, redaction = made
    stills = pick_stills(violation, frames, config, fps)
    lines = caption(violation, plate, site.site.timezone)
    shots = _pictures(violation, stills, lines, site, config, lambda frame: frame.image)
    if plate is not None and plate.crop is not None:
        crop_frame = frames.nearest(plate.crop.frame_index)
        if crop_frame is None:
            raise ValueError("no frame kept for the evidence")
        # The violator's plate alone: nothing in it to hide, so it has no redacted copy.
        shots.insert(-1, Shot("plate.jpg", "plate", crop_frame, plate.crop.image))
    redacted: tuple[Shot, ...] = ()
    if redaction is not None:
        copies = _pictures(violation, stills, lines, site, config, redaction.image)
        redacted = tuple(Shot(redacted_name(s.name), s.role, s.frame, s.image, source=s.name) for s in copies)
    clip_start = None
    if clip is not None:
        clip_start = frames.since(violation.frame_index - round(config.clip_before_s * fps)).frames()[0]
    return Bundle(violation, tuple(shots), plate, clip, clip_start, redacted, redaction)
