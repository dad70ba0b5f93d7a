"""Values the rules consume and produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from edge.config import ViolationKind
from edge.track import Track, TrackPoint

LightState = Literal["red", "amber", "green", "unknown"]
DetailValue = float | int | str | None


@dataclass(frozen=True, slots=True)
class SignalState:
    """A signal's debounced state and when it began (capture time of its first frame), and the
    state before it with when that began: at a red's end, the rules know the whole red interval
    without keeping a signal history of their own (`edge.rules.stop_line`)."""

    signal_id: str
    state: LightState
    since: datetime
    previous: LightState = "unknown"
    previous_since: datetime | None = None

    def after(self, state: LightState, at: datetime) -> SignalState:
        """The state that follows this one from `at` on, remembering this one as its previous."""
        return SignalState(self.signal_id, state, at, self.state, self.since)


@dataclass(frozen=True, slots=True)
class Violation:
    """One rule broken by one tracked vehicle, with the frames that prove it.

    `before_frame` is the last frame that shows the vehicle still on the legal side, and
    `frame_index` the first that shows the act; evidence is cut around them.
    `pending_plate`: only a suspect until its plate is read (odd_even); the evidence stage reads
    the plate and confirms or dismisses it (`edge.rules.odd_even.judge`).
    """

    kind: ViolationKind
    track_id: int
    vehicle_class: str
    confidence: float
    lane: str
    feature: str
    detected_at: datetime
    frame_index: int
    before_frame: int
    box: tuple[float, float, float, float]
    details: dict[str, DetailValue] = field(default_factory=dict)
    pending_plate: bool = False

    def describe(self) -> str:
        """One line naming the act, for records that must say what was lost (gap reasons)."""
        return (f"{self.kind} at {self.detected_at.isoformat(timespec='milliseconds')} lane {self.lane} "
                f"{self.vehicle_class} track {self.track_id} confidence {self.confidence:.2f} frame {self.frame_index}")

    @classmethod
    def of(
        cls, kind: ViolationKind, track: Track, where: tuple[str, str], span: tuple[TrackPoint, TrackPoint],
        details: dict[str, DetailValue],
    ) -> Violation:
        """Build from the track: `where` = (lane, feature), `span` = (point before the act, point of the act)."""
        before, now = span
        return cls(
            kind=kind, track_id=track.id, vehicle_class=track.class_name, confidence=track.confidence,
            lane=where[0], feature=where[1], detected_at=now.captured_at, frame_index=now.frame_index,
            before_frame=before.frame_index, box=now.xyxy, details=details,
        )
