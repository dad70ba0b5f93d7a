"""Plates are read (and clips encoded) on a thread of their own: the pipeline goes on meanwhile,
folders are still written in detection order with the frames of their own act, and a flood of
jobs waits instead of being dropped."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from edge.evidence.worker import EvidenceWorker, read_or_explain
from edge.evidence.writer import EvidenceRecord
from edge.plates.detector import VehicleView
from edge.plates.reader import PlateOutcome
from tests.builders import violation
from tests.evidence.test_plate_evidence import GOOD_READ, MODEL, build, frame

LONG = 5.0  # seconds a gated read may wait; the tests release it long before


@dataclass
class GatedPlates:
    """A plate stage whose reads wait until the test opens the gate of that read (by order)."""

    outcome: PlateOutcome
    models: tuple[tuple[str, Path], ...] = (("plate_detector", MODEL),)
    gates: list[threading.Event] = field(default_factory=lambda: [threading.Event() for _ in range(4)])
    calls: int = 0
    threads: set[str] = field(default_factory=set)

    def read(self, views: Sequence[VehicleView]) -> PlateOutcome:
        gate = self.gates[self.calls]
        self.calls += 1
        self.threads.add(threading.current_thread().name)
        assert gate.wait(LONG), "the test never opened this read's gate"
        return self.outcome


def seq(record: EvidenceRecord) -> int:
    return int(json.loads((record.folder / "event.json").read_text())["device"]["seq"])


def test_the_pipeline_goes_on_while_a_plate_is_read(tmp_path: Path) -> None:
    stage = GatedPlates(GOOD_READ)
    evidence, _ = build(tmp_path, stage)
    for i in range(31):
        evidence.on_frame(frame(i))
    evidence.add(violation(3))  # at frame 30; its 2 s of frames after (for the clip) are in at frame 50
    written = [r for i in range(31, 100) for r in evidence.on_frame(frame(i))]
    assert written == [] and evidence.queued == 1  # 50 frames went by while the read waits
    assert stage.threads and threading.current_thread().name not in stage.threads
    stage.gates[0].set()
    (record,) = evidence.flush()
    media = {m["role"]: m["frame_index"] for m in json.loads((record.folder / "event.json").read_text())["media"]}
    # The ring (60 frames) now starts at frame 40; the pictures are still those of the act.
    assert evidence.ring.get(39) is None
    assert (media["overview_before"], media["overview_at"], media["overview_after"]) == (20, 30, 40)
    assert media["plate"] == 33


def test_folders_are_written_in_detection_order_once_the_jobs_are_done(tmp_path: Path) -> None:
    stage = GatedPlates(GOOD_READ)
    evidence, _ = build(tmp_path, stage)
    for i in range(31):
        evidence.on_frame(frame(i))
    evidence.add(violation(3))
    written = [r for i in range(31, 41) for r in evidence.on_frame(frame(i))]
    evidence.add(violation(4))
    stage.gates[1].set()  # the second read is free, the first is not
    written += [r for i in range(41, 70) for r in evidence.on_frame(frame(i))]  # both started (50, 60)
    # One thread: the second read (and both clips) wait behind the first; nothing is written.
    assert stage.calls == 1 and written == [] and evidence.queued == 2
    stage.gates[0].set()
    records = written + evidence.flush()
    assert [(r.violation.frame_index, seq(r)) for r in records] == [(30, 1), (40, 2)]


def test_a_flood_of_reads_waits_instead_of_dropping() -> None:
    """With room for one waiting job, a second submit blocks until the first is done."""
    stage = GatedPlates(GOOD_READ)
    worker = EvidenceWorker(max_waiting=1)
    first = worker.submit(read_or_explain, stage, [])
    second_submitted = threading.Event()

    def submit_second() -> None:
        worker.submit(read_or_explain, stage, [])
        second_submitted.set()

    thread = threading.Thread(target=submit_second)
    thread.start()
    assert not second_submitted.wait(0.3)  # blocked behind the first read
    stage.gates[0].set()
    assert first.result(LONG) is GOOD_READ
    assert second_submitted.wait(LONG)
    stage.gates[1].set()
    thread.join(LONG)
    worker.close()
    assert stage.calls == 2


def test_a_worker_can_be_used_again_after_close() -> None:
    stage = GatedPlates(GOOD_READ)
    for gate in stage.gates:
        gate.set()
    worker = EvidenceWorker(max_waiting=2)
    assert worker.submit(read_or_explain, stage, []).result(LONG) is GOOD_READ
    worker.close()
    assert worker.submit(read_or_explain, stage, []).result(LONG) is GOOD_READ
    worker.close()
