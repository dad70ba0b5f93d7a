"""Where recall is lost: each scripted charge no right event matched, and what the detector saw of it.

A missed act is lost at one of three places, and each calls for other work: the detector never
boxed the vehicle (a model or rendering matter, not a rule's); it boxed it as another kind of thing
(a rider as a person, a car as a truck: the tracker's class vote and the rules' class checks); or it
boxed it and the tracker and rules still did not charge it (a rule's, a footprint's or a track's
matter). The recorded detections of the run (`evaluation.detections`) tell which, with no re-run:
over the charge's window, the share of frames in which one detection lies mostly inside the
vehicle's true box, and the classes those detections named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import supervision as sv

from edge.core import iou
from evaluation.score import MIN_COVER, Box, SceneScore, Truth, TruthVehicle, covered

Cause = Literal["not detected", "detected as another class", "detected, not charged", "no recording"]
CAUSES: tuple[Cause, ...] = ("not detected", "detected as another class", "detected, not charged", "no recording")

# Under this share of the window's frames boxed, the detector is where the act was lost: the tracker
# needs a run of detections to hold a track, and every rule needs the track through its window.
MIN_SEEN = 0.5
# Classes that name the vehicle as the pipeline judges it: a motorcycle's rider boxed as a person is
# the motorcycle (the tracker promotes a fast "person" track to a rider), a pickup is a car or truck.
SAME = {"car": {"car"}, "pickup": {"car", "truck"}, "truck": {"truck"}, "bus": {"bus"},
        "motorcycle": {"motorcycle", "person", "bicycle"}}


@dataclass(frozen=True, slots=True)
class Miss:
    seed: int
    vehicle: str
    cls: str  # the vehicle's true class
    behaviour: str
    kind: str  # the charge scripted and not reported
    frame: int
    window: tuple[int, int]
    seen: float  # share of the window's frames with a detection of the vehicle
    classes: str  # what those detections named, most often first ("person 13, motorcycle 1")
    cause: Cause


def _seen_as(box: Box, frame: sv.Detections) -> str | None:
    """The class of the detection lying mostly inside `box` (the truth boxes the whole body, the
    detector often one face of it), the best covered one; None when none does."""
    best, name = 0.0, None
    for xyxy, label in zip(frame.xyxy, frame.data.get("class_name", ()), strict=False):
        det = (float(xyxy[0]), float(xyxy[1]), float(xyxy[2]), float(xyxy[3]))
        share = covered(det, box) if iou(det, box) > 0 else 0.0
        if share >= MIN_COVER and share > best:
            best, name = share, str(label)
    return name


def _miss(seed: int, vehicle: TruthVehicle, index: int, detections: Mapping[int, sv.Detections] | None) -> Miss:
    charge = vehicle.charges[index]
    low, high = charge.window
    if detections is None:
        return Miss(seed, vehicle.id, vehicle.cls, vehicle.behaviour, charge.kind, charge.frame, charge.window,
                    0.0, "", "no recording")
    # The frames the detector ran on (every one, unless the run detected every Nth) with the vehicle in view.
    frames = [f for f in sorted(vehicle.boxes) if low <= f <= high and f in detections]
    names = Counter(n for f in frames if (n := _seen_as(vehicle.boxes[f], detections[f])) is not None)
    seen = sum(names.values()) / len(frames) if frames else 0.0
    same = sum(n for name, n in names.items() if name in SAME.get(vehicle.cls, {vehicle.cls}))
    cause: Cause = ("not detected" if seen < MIN_SEEN
                    else "detected as another class" if same < sum(names.values()) / 2
                    else "detected, not charged")
    classes = ", ".join(f"{name} {n}" for name, n in names.most_common())
    return Miss(seed, vehicle.id, vehicle.cls, vehicle.behaviour, charge.kind, charge.frame, charge.window,
                round(seen, 3), classes, cause)


def find_misses(truth: Truth, scored: SceneScore,
                detections: Mapping[int, sv.Detections] | None) -> tuple[Miss, ...]:
    """Every scripted charge of `truth` that no right event of `scored` matched, with its cause.
    `detections`: the run's detector answers by frame index (None: no recording to judge by)."""
    right = {(j.vehicle, j.kind) for j in scored.judgements if j.verdict == "right"}
    return tuple(_miss(truth.seed, v, i, detections) for v in truth.vehicles
                 for i, c in enumerate(v.charges) if (v.id, c.kind) not in right)
