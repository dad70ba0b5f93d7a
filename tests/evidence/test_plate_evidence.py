"""The plate in the evidence: read from the frames around the act, recorded (or its absence
explained) in a schema-valid, signed event, with the plate crop among the media."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge.app import start_up
from edge.config.load import load_site
from edge.core import Track, TrackPoint, TrackUpdate, Violation
from edge.evidence.config import EvidenceConfig
from edge.evidence.event import EventContext
from edge.evidence.schedule import EvidenceScheduler
from edge.evidence.worker import PlateStage
from edge.evidence.writer import EvidenceRecord
from edge.ledger.signing import schema_errors
from edge.paths import PROJECT_ROOT
from edge.plates.config import PlateConfig
from edge.plates.detector import VehicleView
from edge.plates.indonesia import normalize
from edge.plates.ocr import CharCandidates, TextRead
from edge.plates.reader import PlateCrop, PlateOutcome, PlateRead
from edge.plates.vote import FrameRead
from edge.rules.odd_even import Confirmed, OddEvenConfig, judge_read
from edge.settings import DeviceSettings
from edge.sources import VideoFileSource
from tests.builders import REPLAY, T0, context, frame, sealer, violation
from tests.config.test_load import GOOD, write

MODEL = Path(__file__).resolve().parents[2] / "models" / "license_plate_detector.onnx"
DEMO_CLIP = PROJECT_ROOT / "calibration" / "demo" / "clip.mp4"


def read(index: int, raw: str) -> FrameRead:
    text = TextRead(tuple(CharCandidates((c,), (0.97,), 3 * k) for k, c in enumerate(raw)))
    return FrameRead(index, text, normalize(raw), (510.0, 560.0, 590.0, 585.0), 0.81, "black")


@dataclass
class ScriptedPlates:
    """A plate stage that answers from a script and remembers what it was shown."""

    outcome: PlateOutcome | Exception
    models: tuple[tuple[str, Path], ...] = (("plate_detector", MODEL),)
    seen: list[list[tuple[int, tuple[float, float, float, float]]]] = field(default_factory=list)

    def read(self, views: Sequence[VehicleView]) -> PlateOutcome:
        self.seen.append([(v.frame_index, v.box) for v in views])
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


CROP = np.full((30, 96, 3), 20, np.uint8)
READS = (read(31, "B2817PKW"), read(33, "B2817PKW"), read(35, "B28I7PKW"))
GOOD_READ = PlateOutcome(
    PlateRead("B2817PKW", "B 2817 PKW", "B", "DKI Jakarta", "Jakarta, Depok, Bekasi, Tangerang (Polda Metro Jaya)",
              "private", "black", 0.96, (0.97, 0.97, 0.97, 0.96, 0.97, 0.97, 0.97, 0.97), 3, True),
    None, READS, (31, 33, 35), 3, PlateCrop(33, CROP))
UNREADABLE = PlateOutcome(None, "the reads disagree at character 4: 1 or 7", READS, (31, 33, 35), 3,
                          PlateCrop(35, CROP))


@dataclass
class Judge:
    """Settles suspects as the pipeline does: the odd_even verdict on the plate read, counted,
    then the admission gate for a confirmed one."""

    config: OddEvenConfig = field(default_factory=OddEvenConfig)
    admit: Any = lambda _v: True
    plate_checks: dict[str, int] = field(default_factory=dict)

    def __call__(self, suspect: Violation, outcome: PlateOutcome | None) -> Violation | None:
        verdict = judge_read(suspect, outcome.judgeable() if outcome is not None else "plate reading is off",
                             self.config)
        why = "confirmed" if isinstance(verdict, Confirmed) else verdict.reason.value
        self.plate_checks[why] = self.plate_checks.get(why, 0) + 1
        if not isinstance(verdict, Confirmed) or not self.admit(verdict.violation):
            return None
        return verdict.violation


def build(tmp_path: Path, plates: PlateStage | None, config: EvidenceConfig | None = None,
          odd_even: OddEvenConfig | None = None, ctx: EventContext | None = None) -> tuple[EvidenceScheduler, Judge]:
    ctx = ctx or context(tmp_path, "dev-1", REPLAY)
    config = config or EvidenceConfig(directory=tmp_path / "ev")
    judge = Judge(odd_even or OddEvenConfig())
    evidence = EvidenceScheduler(ctx, config, fps=10, sealer=sealer(tmp_path), plates=plates,
                                 settle=judge)
    return evidence, judge


def seen(track_id: int, frames: range) -> TrackUpdate:
    """The tracker's update: the vehicle's path over `frames`, growing as it approaches."""
    points = tuple(TrackPoint(i, T0 + timedelta(seconds=i / 10), (500.0 - i, 400.0, 700.0 + i, 620.0 + i),
                              (600.0, 620.0), 0.6, "car") for i in frames)
    return TrackUpdate(active=(Track(track_id, "car", points),), ended=())


def feed(evidence: EvidenceScheduler, act: Violation) -> list[EvidenceRecord]:
    """Frames up to the act, the violation, then the frames after it with the track observed;
    then the end of the stream (the plate is read on the worker thread: flush waits for it)."""
    for i in range(act.frame_index + 1):
        evidence.on_frame(frame(i))
    evidence.add(act)
    evidence.observe(seen(act.track_id, range(act.frame_index - 5, act.frame_index + 1)))
    records = []
    for i in range(act.frame_index + 1, act.frame_index + 12):
        records += evidence.on_frame(frame(i))
        evidence.observe(seen(act.track_id, range(act.frame_index - 5, i + 1)))
    return records + evidence.flush()


def run(evidence: EvidenceScheduler, act: int = 30) -> dict[str, Any]:
    records = feed(evidence, violation(act // 10))  # helpers' violation(k): frame 10 k, track k
    assert len(records) == 1
    event: dict[str, Any] = json.loads((records[0].folder / "event.json").read_text())
    return event


def test_a_read_plate_is_in_the_signed_event_with_its_crop(tmp_path: Path) -> None:
    stage = ScriptedPlates(GOOD_READ)
    event = run(build(tmp_path, stage)[0])
    assert schema_errors(event) == []
    plate = event["plate"]
    assert (plate["text"], plate["formatted"], plate["region"], plate["category"]) == (
        "B2817PKW", "B 2817 PKW", "B", "private")
    assert plate["votes"] == 3 and plate["format_valid"] is True and plate["ocr_calls"] == 3
    assert [r["normalized"] for r in plate["reads"]] == ["B2817PKW", "B2817PKW", "B2817PKW"]
    assert [r["text"] for r in plate["reads"]] == ["B2817PKW", "B2817PKW", "B28I7PKW"]  # raw, as read
    assert "plate_unreadable" not in event
    media = {m["role"]: m for m in event["media"]}
    assert media["plate"]["name"] == "plate.jpg" and media["plate"]["frame_index"] == 33
    assert [m["role"] for m in event["models"]] == ["vehicle_detector"]  # the context's: start-up names every model


def test_frames_after_the_act_are_read_too(tmp_path: Path) -> None:
    stage = ScriptedPlates(GOOD_READ)
    run(build(tmp_path, stage)[0])
    (views,) = stage.seen
    frames = [index for index, _ in views]
    assert frames[0] == 25 and frames[-1] == 41  # before the act (from the track) to the last observed
    assert dict(views)[30] == (500.0, 400.0, 700.0, 620.0)  # the violation's own box at the act


def test_an_unreadable_plate_is_null_with_the_reason_and_the_reads(tmp_path: Path) -> None:
    event = run(build(tmp_path, ScriptedPlates(UNREADABLE))[0])
    assert schema_errors(event) == []
    assert event["plate"] is None
    assert event["plate_unreadable"]["reason"] == "the reads disagree at character 4: 1 or 7"
    assert len(event["plate_unreadable"]["reads"]) == 3
    assert "plate" in {m["role"] for m in event["media"]}  # the officer still gets the crop


def test_a_failing_reader_does_not_stop_the_evidence(tmp_path: Path) -> None:
    event = run(build(tmp_path, ScriptedPlates(RuntimeError("ORT session died")))[0])
    assert event["plate"] is None and event["plate_unreadable"]["reason"] == "plate reading failed: ORT session died"
    assert schema_errors(event) == []


def test_plate_reading_off(tmp_path: Path) -> None:
    config = EvidenceConfig(directory=tmp_path / "ev", plates=PlateConfig(enabled=False))
    event = run(build(tmp_path, None, config)[0])
    assert event["plate"] is None
    assert event["plate_unreadable"] == {"reason": "plate reading is off on this device", "frames": [], "ocr_calls": 0,
                                         "reads": []}
    assert [m["role"] for m in event["models"]] == ["vehicle_detector"]


def test_start_up_builds_the_default_reader_and_names_its_models(tmp_path: Path) -> None:
    site = load_site(write(tmp_path, GOOD))
    start = start_up(site, DeviceSettings(), VideoFileSource(DEMO_CLIP, T0))
    assert start.plates is not None
    event = run(build(tmp_path, start.plates, ctx=start.context)[0])  # grey frames: the real reader finds no plate
    assert event["plate"] is None and event["plate_unreadable"]["reason"].startswith("no plate found")
    assert {m["role"] for m in event["models"]} == {"vehicle_detector", "plate_detector", "ocr_detector",
                                                    "ocr_recognizer", "privacy_objects", "privacy_plates"}
    assert schema_errors(event) == []


@pytest.mark.parametrize("change", ["drop_unreadable", "unreadable_with_plate", "bad_text"])
def test_schema_ties_plate_and_plate_unreadable(tmp_path: Path, change: str) -> None:
    event = run(build(tmp_path, ScriptedPlates(GOOD_READ))[0])
    if change == "drop_unreadable":
        event["plate"] = None
    elif change == "unreadable_with_plate":
        event["plate_unreadable"] = {"reason": "x", "frames": [], "ocr_calls": 0, "reads": []}
    else:
        event["plate"]["text"] = "B 2817 PKW"
    assert schema_errors(event) != []


# odd_even suspects: judged right after their plate is read (T0 is the 15th, an odd date).
SUSPECT = dataclasses.replace(violation(3), kind="odd_even", feature="gg-1", suspect=True, details={
    "restriction": "gg-1", "windows": "Mon-Fri 06:00-10:00", "date": "2026-01-15", "date_parity": "odd"})
EVEN_READ = dataclasses.replace(GOOD_READ, plate=dataclasses.replace(
    GOOD_READ.plate, text="B2816PKW", formatted="B 2816 PKW"))  # type: ignore[type-var]


def with_confidences(confidences: tuple[float, ...]) -> PlateOutcome:
    return dataclasses.replace(EVEN_READ, plate=dataclasses.replace(  # type: ignore[type-var]
        EVEN_READ.plate, char_confidences=confidences, confidence=min(confidences)))


SHAKY_DIGIT = with_confidences((0.97, 0.97, 0.97, 0.97, 0.7, 0.97, 0.97, 0.97))
SHAKY_LETTER = with_confidences((0.97, 0.97, 0.97, 0.97, 0.97, 0.97, 0.6, 0.97))


def test_an_unsure_letter_does_not_stop_the_parity_verdict(tmp_path: Path) -> None:
    """The parity hangs on the last digit: an uncertain suffix letter is for the officer to check."""
    evidence, judge = build(tmp_path, ScriptedPlates(SHAKY_LETTER))
    (record,) = feed(evidence, SUSPECT)
    assert record.violation.details["plate_parity"] == "even" and judge.plate_checks == {"confirmed": 1}


def test_a_suspect_with_an_even_plate_on_an_odd_date_is_a_signed_violation(tmp_path: Path) -> None:
    evidence, judge = build(tmp_path, ScriptedPlates(EVEN_READ))
    (record,) = feed(evidence, SUSPECT)
    event = json.loads((record.folder / "event.json").read_text())
    assert schema_errors(event) == []
    assert event["violation"]["type"] == "odd_even" and event["device"]["seq"] == 1
    assert event["violation"]["details"] | {} == {**SUSPECT.details, "plate_number": "2816", "plate_parity": "even"}
    assert event["plate"]["formatted"] == "B 2816 PKW"
    assert {"plate", "clip"} <= {m["role"] for m in event["media"]}  # the clip is made once it is confirmed
    assert not record.violation.suspect
    assert judge.plate_checks == {"confirmed": 1}


@pytest.mark.parametrize(("outcome", "config", "why"), [
    (GOOD_READ, OddEvenConfig(), "complies"),  # B 2817 PKW: odd on an odd date
    (UNREADABLE, OddEvenConfig(), "plate not read"),
    (EVEN_READ, OddEvenConfig(min_plate_votes=4), "plate read too uncertain to judge"),  # 3 votes
    (EVEN_READ, OddEvenConfig(exempt_plates=["B 2816 PKW"]), "exempt"),
    (SHAKY_DIGIT, OddEvenConfig(), "plate read too uncertain to judge"),  # the 6 of B 2816 PKW at 0.7
])
def test_a_dismissed_suspect_leaves_nothing_behind(tmp_path: Path, outcome: PlateOutcome, config: OddEvenConfig,
                                                   why: str) -> None:
    """No folder, no sequence number, no plate text: only the count of checks and why."""
    evidence, judge = build(tmp_path, ScriptedPlates(outcome), odd_even=config)
    assert feed(evidence, SUSPECT) == [] and evidence.queued == 0
    assert judge.plate_checks == {why: 1}
    assert not (tmp_path / "ev").exists() or list((tmp_path / "ev").iterdir()) == []
    # The next violation takes the first sequence number: the suspect reserved none.
    (record,) = feed(evidence, violation(6))
    assert json.loads((record.folder / "event.json").read_text())["device"]["seq"] == 1


def test_a_suspect_with_plate_reading_off_is_not_judged(tmp_path: Path) -> None:
    config = EvidenceConfig(directory=tmp_path / "ev", plates=PlateConfig(enabled=False))
    evidence, judge = build(tmp_path, None, config)
    assert feed(evidence, SUSPECT) == []
    assert judge.plate_checks == {"plate not read": 1}


def test_a_confirmed_suspect_goes_through_the_admission_gate(tmp_path: Path) -> None:
    """The disk budget sees odd_even violations once confirmed (not every suspect): a refused one
    is not stored, and the gate (which declares it in a signed gap) is asked exactly once."""
    evidence, judge = build(tmp_path, ScriptedPlates(EVEN_READ))
    asked: list[Violation] = []
    judge.admit = lambda v: asked.append(v) is not None  # refuses, remembering what it was asked
    assert feed(evidence, SUSPECT) == []
    assert [(v.kind, v.details["plate_parity"]) for v in asked] == [("odd_even", "even")]
    assert judge.plate_checks == {"confirmed": 1} and evidence.queued == 0
