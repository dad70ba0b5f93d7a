"""The evidence of one violation, assembled from its frames: pure (frames in, a bundle out, no I/O).

Pictures follow red-light camera practice and the ETLE confirmation letter: an overview
before the act (vehicle still on the legal side), an overview at the act, one after it, a
close-up of the vehicle, the plate crop, and an annotated copy of the act so the unannotated
original is always there too. The clip (encoded off the pipeline thread) and the plate read
come in already made; `edge.evidence.writer` encodes, signs and stores the bundle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from edge.config.site import SiteFile
from edge.core import Violation
from edge.evidence.config import EvidenceConfig
from edge.evidence.event import rfc3339
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


@dataclass(frozen=True, slots=True)
class Bundle:
    """Everything one evidence folder holds, before encoding: the pictures, the clip (dated by
    its first frame) and the plate read (None: reading is off)."""

    violation: Violation
    shots: tuple[Shot, ...]
    plate: PlateOutcome | None
    clip: bytes | None
    clip_start: Frame | None


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


def assemble(
    violation: Violation, frames: FrameRing, site: SiteFile, config: EvidenceConfig, fps: float,
    made: tuple[PlateOutcome | None, bytes | None],
) -> Bundle:
    """The bundle of one violation from the frames kept for it; `made` = (plate read, clip)."""
    plate, clip = made

    def pick(index: int) -> Frame:
        frame = frames.nearest(index)
        if frame is None:
            raise ValueError("no frame kept for the evidence")
        return frame

    before = pick(min(violation.before_frame, violation.frame_index - round(config.before_s * fps)))
    at = pick(violation.frame_index)
    shots = [Shot("overview_before.jpg", "overview_before", before, before.image),
             Shot("overview_at.jpg", "overview_at", at, at.image)]
    after = pick(violation.frame_index + round(config.after_s * fps))
    if after.index > at.index:
        shots.append(Shot("overview_after.jpg", "overview_after", after, after.image))
    shots.append(Shot("vehicle.jpg", "vehicle_closeup", at, crop_with_margin(at.image, violation.box,
                                                                              config.closeup_margin)))
    if plate is not None and plate.crop is not None:
        shots.append(Shot("plate.jpg", "plate", pick(plate.crop.frame_index), plate.crop.image))
    annotated = annotate_violation(at.image, site.calibration, violation.box,
                                   caption(violation, plate, site.site.timezone),
                                   str(violation.details.get("signal_state", "unknown")))
    shots.append(Shot("overview_at_annotated.jpg", "overview_annotated", at, annotated))
    clip_start = None
    if clip is not None:
        clip_start = frames.since(violation.frame_index - round(config.clip_before_s * fps)).frames()[0]
    return Bundle(violation, tuple(shots), plate, clip, clip_start)
