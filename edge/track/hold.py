"""A standing vehicle whose footprint the image border hides still stands where it was measured.

The footprint needs the box's bottom edge (`edge.footprint`). A vehicle that stops so near the
camera that the frame's bottom cuts its box has none, so its measured path ended the moment it
stopped and a rule that times standing (illegal_stop) never saw it stand (tune split: 2 of the 7
missed illegal_stop charges). While its box keeps the place and size it had when it stopped, the
vehicle has not moved: the tracker adds a held point at the last measured footprint, moved by
as much as the box moved between that footprint and the stop (`moved`): a vehicle that crept on
unmeasured before it stopped again starts a new stop.

Held only when the box went still soon after the last measured point (the vehicle cannot have
gone far unmeasured) and has stayed still for `settle_s` (a box that creeps a few pixels a frame
is still from one frame to the next, not over a third of a second), and never again once the box
moves beyond the detector's jitter: a vehicle creeping in a queue is not held, so it is not taken
for standing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from edge.core import Box, TrackPoint


@dataclass(slots=True)
class _Hold:
    origin: TrackPoint  # the last measured point: where the vehicle is held
    # The box it stands still in and since when; None: it moved since it could be held.
    reference: tuple[Box, datetime] | None = None


def still(reference: Box, box: Box, tolerance: float) -> bool:
    """Whether `box` is `reference` up to `tolerance` of its size: the same centre across and
    the same top (the bottom is the border's, not the vehicle's), and the width to twice that
    (a standing car's side edges wander most: ±3 % of its width in CenterNet's boxes).

    >>> still((100, 50, 300, 250), (104, 54, 298, 250), 0.05)
    True
    >>> still((100, 50, 300, 250), (85, 48, 315, 250), 0.05)  # 15 % wider: it came nearer
    False
    """
    width, height = reference[2] - reference[0], reference[3] - reference[1]
    centre_shift = abs((box[0] + box[2]) - (reference[0] + reference[2])) / 2
    return (centre_shift <= tolerance * width and abs(box[1] - reference[1]) <= tolerance * height
            and abs((box[2] - box[0]) - width) <= 2 * tolerance * width)


def moved(origin: Box, standing: Box, tolerance: float) -> tuple[float, float]:
    """How far (image x, y) a vehicle went between its last measured box and the box it stands in:
    none when they are the same box up to the detector's jitter, else the move of the box's top
    centre (the top and sides are the vehicle's, the bottom the border's). Less than its wheels
    moved (the roof is higher, so it sweeps fewer rows), but enough that a car creeping a metre
    in a queue does not stand where it stood before it crept, which would carry its first stop's
    time into the next (tune 146: a queue twin charged with illegal_stop).

    >>> moved((100, 50, 300, 250), (103, 52, 301, 250), 0.05)
    (0.0, 0.0)
    >>> moved((100, 50, 300, 250), (90, 90, 320, 260), 0.05)
    (5.0, 40.0)
    """
    if still(origin, standing, tolerance):
        return 0.0, 0.0
    return ((standing[0] + standing[2]) - (origin[0] + origin[2])) / 2, float(standing[1] - origin[1])


class StillHold:
    """Per track: whether an unmeasurable box holds the vehicle at its last measured footprint."""

    def __init__(self, within_s: float, tolerance: float, settle_s: float = 0.3) -> None:
        self._within_s = within_s
        self._settle_s = settle_s
        self._tolerance = tolerance
        self._holds: dict[int, _Hold] = {}

    def measured(self, track_id: int) -> None:
        """The track's footprint was measured again: any hold is over."""
        self._holds.pop(track_id, None)

    def point(self, track_id: int, seen: TrackPoint, last: TrackPoint | None) -> TrackPoint | None:
        """A held point for `seen`, a box whose footprint could not be measured, or None.
        `last`: the track's last measured point (None: it has none)."""
        hold = self._holds.get(track_id)
        if hold is None:
            if last is None:
                return None
            hold = self._holds[track_id] = _Hold(origin=last)
        if hold.reference is not None and still(hold.reference[0], seen.xyxy, self._tolerance):
            if (seen.captured_at - hold.reference[1]).total_seconds() < self._settle_s:
                return None
            dx, dy = moved(hold.origin.xyxy, hold.reference[0], self._tolerance)
            centre = hold.origin.centre
            return replace(hold.origin, frame_index=seen.frame_index, captured_at=seen.captured_at,
                           xyxy=seen.xyxy, confidence=seen.confidence, class_name=seen.class_name,
                           anchor=(hold.origin.anchor[0] + dx, hold.origin.anchor[1] + dy),
                           centre=None if centre is None else (centre[0] + dx, centre[1] + dy))
        # Not (or no longer) still: it may come to a stop here only while its last measured
        # footprint is recent enough to still be where it stands.
        recent = (seen.captured_at - hold.origin.captured_at).total_seconds() <= self._within_s
        hold.reference = (seen.xyxy, seen.captured_at) if recent else None
        return None

    def forget(self, track_ids: Iterable[int]) -> None:
        for track_id in track_ids:
            self._holds.pop(track_id, None)

    def clear(self) -> None:
        self._holds.clear()
