"""Events vs truth: which charge each event is, and the figures of a split.

Pure: `score_scene` takes a parsed truth and parsed events (`evaluation.summary` folds scenes
into the figures of a split). The only I/O is `read_truth` / `read_event`, which parse one file each.
Matching and verdicts follow the contract in evaluation/README.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from edge.core import iou

MIN_IOU = 0.3
# Or this share of the event's box inside the truth box: the truth boxes the whole cuboid (roof and
# sides), a detector often only the photographed face, so a vehicle seen obliquely matches at
# IoU 0.27 although every pixel of its detection lies on it.
MIN_COVER = 0.7
FRAME_SLACK = 2  # a box missing at the event's frame is looked up this many frames either side
PLATE_BINS = ("<40", "40-80", ">=80", "n/a")
Verdict = Literal["right", "wrong", "double"]
Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class TruthCharge:
    kind: str
    frame: int
    window: tuple[int, int]
    restrictions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TruthVehicle:
    id: str
    cls: str
    behaviour: str
    near_miss: str | None
    plate: str | None
    speed_kmh: float | None
    charges: tuple[TruthCharge, ...]
    boxes: dict[int, Box]
    plate_px: dict[int, float]


@dataclass(frozen=True, slots=True)
class Truth:
    seed: int
    vehicles: tuple[TruthVehicle, ...]


@dataclass(frozen=True, slots=True)
class Event:
    kind: str
    frame: int
    box: Box
    plate: str | None
    speed_kmh: float | None
    restrictions: tuple[str, ...]  # restricted_lane: every restriction id the event names
    evidence: str  # the evidence folder, as the report should name it


@dataclass(frozen=True, slots=True)
class Judgement:
    """One event and what it was."""

    seed: int
    kind: str
    frame: int
    evidence: str
    verdict: Verdict
    vehicle: str | None
    behaviour: str | None
    near_miss: str | None
    reason: str  # why wrong or double; for a right restricted_lane event, any restriction it fails to name
    plate: Literal["exact", "wrong", "unreadable"] | None  # None: no truth vehicle to compare with
    plate_bin: str
    speed: tuple[float, float] | None  # (measured, true) km/h
    names_all_restrictions: bool | None  # restricted_lane and right only


@dataclass(frozen=True, slots=True)
class VehicleOutcome:
    id: str
    near_miss: str | None
    compliant: bool  # no charge scripted
    charged: bool  # at least one event matched it


@dataclass(frozen=True, slots=True)
class SceneScore:
    seed: int
    scripted: tuple[tuple[str, int], ...]  # (kind, charges scripted)
    judgements: tuple[Judgement, ...]
    vehicles: tuple[VehicleOutcome, ...]


def _box(values: Sequence[Any]) -> Box:
    return (float(values[0]), float(values[1]), float(values[2]), float(values[3]))


def parse_truth(data: dict[str, Any]) -> Truth:
    vehicles = []
    for v in data["vehicles"]:
        charges = tuple(
            TruthCharge(c["kind"], int(c["frame"]), (int(c["window"][0]), int(c["window"][1])),
                        tuple(c.get("restrictions") or ()))
            for c in v.get("charges", ()))
        plate = v.get("plate")
        speed = v.get("speed_kmh")
        vehicles.append(TruthVehicle(
            id=str(v["id"]), cls=str(v["class"]), behaviour=str(v["behaviour"]), near_miss=v.get("near_miss"),
            plate=str(plate["text"]) if plate else None, speed_kmh=float(speed) if speed is not None else None,
            charges=charges, boxes={int(b[0]): _box(b[1:5]) for b in v.get("boxes", ())},
            plate_px={int(p[0]): float(p[1]) for p in v.get("plate_px", ())}))
    return Truth(seed=int(data["seed"]), vehicles=tuple(vehicles))


def named_restrictions(details: dict[str, Any]) -> tuple[str, ...]:
    """`details.restrictions` (a list, or ids separated by "," or ";"), else `details.restriction`.

    >>> named_restrictions({"restrictions": "busway-1; ban-2", "restriction": "busway-1"})
    ('busway-1', 'ban-2')
    >>> named_restrictions({"restriction": "busway-1"})
    ('busway-1',)
    """
    named = details.get("restrictions")
    if isinstance(named, str):
        parts: Iterable[Any] = named.replace(";", ",").split(",")
    elif isinstance(named, list | tuple):
        parts = named
    else:
        parts = [details["restriction"]] if details.get("restriction") else []
    return tuple(s for s in (str(p).strip() for p in parts) if s)


def parse_event(data: dict[str, Any], evidence: str) -> Event:
    violation = data["violation"]
    details = violation.get("details") or {}
    plate = data.get("plate")
    speed = details.get("speed_kmh")
    return Event(
        kind=str(violation["type"]), frame=int(violation["frame_index"]), box=_box(data["vehicle"]["box"]),
        plate=str(plate["text"]) if isinstance(plate, dict) else None,
        speed_kmh=float(speed) if isinstance(speed, int | float) else None,
        restrictions=named_restrictions(details), evidence=evidence)


def read_truth(path: Path) -> Truth:
    return parse_truth(json.loads(path.read_text(encoding="utf-8")))


def read_event(path: Path, evidence: str) -> Event:
    return parse_event(json.loads(path.read_text(encoding="utf-8")), evidence)



def _near(table: dict[int, Any], frame: int, slack: int) -> Any | None:
    """The entry at `frame`, else the nearest one within `slack` frames (earlier first on a tie)."""
    for offset in range(slack + 1):
        for f in (frame - offset, frame + offset):
            if f in table:
                return table[f]
    return None


def covered(inner: Box, outer: Box) -> float:
    """Share of `inner`'s area inside `outer`.

    >>> covered((1, 1, 2, 2), (0, 0, 4, 4)), covered((3, 0, 5, 2), (0, 0, 4, 4))
    (1.0, 0.5)
    """
    ix = max(0.0, min(inner[2], outer[2]) - max(inner[0], outer[0]))
    iy = max(0.0, min(inner[3], outer[3]) - max(inner[1], outer[1]))
    area = (inner[2] - inner[0]) * (inner[3] - inner[1])
    return ix * iy / area if area > 0 else 0.0


def match_vehicle(truth: Truth, event: Event) -> TruthVehicle | None:
    """The vehicle whose true box overlaps the event's best (IoU ≥ MIN_IOU, or the event's box
    MIN_COVER inside it); of several, the best IoU (a car's face inside a truck's box behind it
    still matches the car)."""
    best, best_iou = None, -1.0
    for vehicle in truth.vehicles:
        box = _near(vehicle.boxes, event.frame, FRAME_SLACK)
        if box is None:
            continue
        overlap = iou(box, event.box)
        if (overlap >= MIN_IOU or covered(event.box, box) >= MIN_COVER) and overlap > best_iou:
            best, best_iou = vehicle, overlap
    return best


def plate_bin(width_px: float | None) -> str:
    """
    >>> [plate_bin(w) for w in (None, 39.9, 40.0, 80.0)]
    ['n/a', '<40', '40-80', '>=80']
    """
    if width_px is None:
        return "n/a"
    return "<40" if width_px < 40 else "40-80" if width_px < 80 else ">=80"


def _plate_width(vehicle: TruthVehicle, frame: int) -> float | None:
    """The plate's width at the event frame, else at the nearest frame it faces the camera."""
    if not vehicle.plate_px:
        return None
    nearest = min(vehicle.plate_px, key=lambda f: (abs(f - frame), f))
    return vehicle.plate_px[nearest]


def _plate_outcome(vehicle: TruthVehicle, event: Event) -> Literal["exact", "wrong", "unreadable"] | None:
    if event.plate is None:
        return "unreadable" if vehicle.plate is not None else None
    return "exact" if event.plate == vehicle.plate else "wrong"


@dataclass(frozen=True, slots=True)
class _Verdict:
    verdict: Verdict
    reason: str
    charge: TruthCharge | None


def _verdict(vehicle: TruthVehicle | None, event: Event, used: set[tuple[str, int]]) -> _Verdict:
    if vehicle is None:
        return _Verdict("wrong", "matches no vehicle", None)
    of_kind = [(i, c) for i, c in enumerate(vehicle.charges) if c.kind == event.kind]
    if not of_kind:
        return _Verdict("wrong", f"no {event.kind} charge", None)
    inside = [(i, c) for i, c in of_kind if c.window[0] <= event.frame <= c.window[1]]
    if not inside:
        return _Verdict("wrong", f"frame {event.frame} outside the {event.kind} window", None)
    fresh = [(i, c) for i, c in inside if (vehicle.id, i) not in used]
    if not fresh:
        return _Verdict("double", f"{event.kind} already charged", inside[0][1])
    index, charge = min(fresh, key=lambda ic: abs(ic[1].frame - event.frame))
    used.add((vehicle.id, index))
    return _Verdict("right", "", charge)


def _judge(seed: int, vehicle: TruthVehicle | None, event: Event, found: _Verdict) -> Judgement:
    names_all, reason = None, found.reason
    if found.verdict == "right" and found.charge is not None and event.kind == "restricted_lane":
        missing = sorted(set(found.charge.restrictions) - set(event.restrictions))
        names_all = not missing
        reason = f"does not name {', '.join(missing)}" if missing else ""
    speed = None
    if vehicle is not None and event.speed_kmh is not None and vehicle.speed_kmh:
        speed = (event.speed_kmh, vehicle.speed_kmh)
    return Judgement(
        seed=seed, kind=event.kind, frame=event.frame, evidence=event.evidence, verdict=found.verdict,
        vehicle=vehicle.id if vehicle else None, behaviour=vehicle.behaviour if vehicle else None,
        near_miss=vehicle.near_miss if vehicle else None, reason=reason,
        plate=_plate_outcome(vehicle, event) if vehicle else None,
        plate_bin=plate_bin(_plate_width(vehicle, event.frame)) if vehicle else "n/a",
        speed=speed, names_all_restrictions=names_all)


def score_scene(truth: Truth, events: Sequence[Event]) -> SceneScore:
    """Judge events in frame order, so the first event for an act is the charge and later ones are doubles."""
    used: set[tuple[str, int]] = set()
    judgements = []
    for event in sorted(events, key=lambda e: (e.frame, e.evidence)):
        vehicle = match_vehicle(truth, event)
        judgements.append(_judge(truth.seed, vehicle, event, _verdict(vehicle, event, used)))
    kinds = sorted({c.kind for v in truth.vehicles for c in v.charges})
    scripted = tuple((k, sum(c.kind == k for v in truth.vehicles for c in v.charges)) for k in kinds)
    matched = {j.vehicle for j in judgements}
    vehicles = tuple(VehicleOutcome(v.id, v.near_miss, not v.charges, v.id in matched) for v in truth.vehicles)
    return SceneScore(truth.seed, scripted, tuple(judgements), vehicles)
