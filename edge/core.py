"""The neutral core: value types every stage speaks, importing only the standard library.

Stages depend on this module, never on each other for their vocabulary: the signal readers
produce `SignalState`s without loading the rules, the rules read `Track`s without loading a
tracker, and evidence and delivery carry `Violation`s without loading either
(`tests/test_architecture.py` holds the arrows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Point = tuple[float, float]
Box = tuple[float, float, float, float]


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when both are empty).

    >>> iou((0, 0, 2, 2), (1, 0, 3, 2)), iou((0, 0, 1, 1), (2, 2, 3, 3)), iou((0, 0, 0, 0), (0, 0, 0, 0))
    (0.3333333333333333, 0.0, 0.0)
    """
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
VehicleClass = Literal["car", "motorcycle", "bus", "truck", "bicycle", "person"]
ViolationKind = Literal[
    "red_light", "stop_line", "solid_line_crossing", "wrong_way",
    "restricted_lane", "speeding", "odd_even", "illegal_stop",
]
LightState = Literal["red", "amber", "green", "unknown"]
DetailValue = float | int | str | None


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One box of a tracked vehicle. `anchor`: where its wheels are (the front of its ground
    footprint, else the box's bottom centre)."""

    frame_index: int
    captured_at: datetime
    xyxy: Box
    anchor: Point
    confidence: float
    class_name: str
    centre: Point | None = None  # the footprint's centre; None: the same as `anchor`
    size_fit: float | None = None  # the box's height over its class's typical cuboid's; None: unknown
    top_cut: bool = False  # the frame's border cuts the box's top: only part of the vehicle was seen

    @property
    def middle(self) -> Point:
        """Where the vehicle stands (its footprint's centre): what a zone it stands in is judged by."""
        return self.centre if self.centre is not None else self.anchor


@dataclass(frozen=True, slots=True)
class Track:
    """A vehicle's recent path, newest point last. `class_name` is the confidence-weighted vote
    (a "person" found riding is a motorcycle).

    `points` are the positions rules may measure (never empty); `seen` every box, for evidence."""

    id: int
    class_name: str
    points: tuple[TrackPoint, ...]
    seen: tuple[TrackPoint, ...] = ()
    label: str | None = None  # the detector's class the vote chose, where it differs (a rider: "person")

    @property
    def voted_label(self) -> str:
        """The detector's class name behind `class_name`: what its detections must say."""
        return self.label if self.label is not None else self.class_name

    @property
    def last(self) -> TrackPoint:
        return self.points[-1]

    @property
    def confidence(self) -> float:
        return max(p.confidence for p in self.points)


@dataclass(frozen=True, slots=True)
class TrackUpdate:
    """The tracker's answer for one detector step: the tracks seen, and those gone for good."""

    active: tuple[Track, ...]
    ended: tuple[int, ...]


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
    `suspect`: not yet a violation, only a vehicle to check by its plate (odd_even): the evidence
    stage reads the plate, the rules confirm or dismiss it (`edge.rules.engine.RuleEngine.confirm`).
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
    suspect: bool = False

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


@dataclass(frozen=True, slots=True)
class ModelIdentity:
    """A model file an event was judged with, named by its role and content hash."""

    role: str
    file: str
    sha256: str


@dataclass(frozen=True, slots=True)
class ClockStatus:
    """Where capture times come from. `synced` is None when nobody checked (a replayed clip)."""

    source: str
    synced: bool | None
    offset_s: float | None


@dataclass(frozen=True, slots=True)
class FrameMeasure:
    """What one frame cost and produced, for the metrics (`edge.metrics`): reported by the pipeline
    once per frame, so a scrape never reads the pipeline's own state across threads. The run's end
    reports one more with no `stages`: no frame, only what the last evidence flush stored."""

    stages: tuple[tuple[str, float], ...] = ()  # (stage, wall seconds), in the order the frame met them
    detected: tuple[str, ...] | None = None  # the class of each detection; None: no detector run this frame
    charged: tuple[str, ...] = ()  # kinds of the acts charged on this frame
    dismissed: tuple[str, ...] = ()  # why each odd_even suspect settled on this frame was not charged
    stored: tuple[str, ...] = ()  # kinds of the evidence folders written on this frame
    write_failures: int = 0  # evidence writes that failed on this frame (retried; never dropped)
    lag_s: float | None = None  # wall clock minus capture time (live sources): how far behind the box runs
    judging: bool = True  # False: fail-safe (site file faults, a tampered view), or a view fault on this frame
    view_faults: int = 0  # what is wrong with the camera's picture now (edge.tamper)
    view_shift_px: float | None = None  # the view's drift from its calibration reference, at the lanes
