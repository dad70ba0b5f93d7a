"""Evidence folders: ring buffer lookups, atomic writes, media hashes that match the files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import pytest

from edge.errors import EvidenceError
from edge.evidence.config import EvidenceConfig
from edge.evidence.ring import FrameRing
from edge.evidence.schedule import EvidenceScheduler
from edge.imaging import crop_with_margin
from edge.ledger.keys import load_public_keys
from edge.ledger.seal import Sealer
from edge.ledger.signing import unverified_payload
from edge.ledger.store import incomplete, write_event_folder
from edge.ledger.verify import verify_path
from edge.plates.config import PlateConfig
from tests.builders import REPLAY, context, frame, sealer, violation_at


def test_ring_keeps_the_newest() -> None:
    ring = FrameRing(3)
    assert ring.get(0) is None and ring.nearest(0) is None and ring.newest is None
    for i in range(5):
        ring.push(frame(i))
    assert ring.get(1) is None and ring.get(3) is not None
    assert ring.nearest(0).index == 2  # type: ignore[union-attr]
    assert ring.newest.index == 4  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        FrameRing(0)


def test_closeup_is_clipped_to_the_frame() -> None:
    assert crop_with_margin(frame(1).image, (1200, 600, 1300, 760), 0.25).shape == (160, 105, 3)


def test_folder_is_atomic(tmp_path: Path) -> None:
    folder = write_event_folder(tmp_path, "e1", {"a.jpg": b"x"}, {"event_id": "e1"})
    assert sorted(p.name for p in folder.iterdir()) == ["a.jpg", "event.json"]
    assert incomplete(tmp_path) == []


def test_unwritable_root_raises_evidence_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(EvidenceError, match="cannot write evidence e1"):
        write_event_folder(blocker, "e1", {}, {})


def builder(tmp_path: Path, directory: Path, sealer: Sealer | None = None, clip: bool = False) -> EvidenceScheduler:
    ctx = context(tmp_path, "dev-1", REPLAY)
    # Plates off, clip off unless asked: these tests are about folders and signing, and nothing runs
    # in the background (tests/evidence/test_plate_evidence.py has plates, test_worker.py the thread).
    config = EvidenceConfig(directory=directory, plates=PlateConfig(enabled=False), clip=clip)
    return EvidenceScheduler(ctx, config, fps=10, sealer=sealer)


def test_builder_waits_for_frames_after_then_writes(tmp_path: Path) -> None:
    evidence = builder(tmp_path, tmp_path / "ev")
    for i in range(31):
        assert evidence.on_frame(frame(i)) == []
    evidence.add(violation_at(30))
    records = [r for i in range(31, 41) for r in evidence.on_frame(frame(i))]
    assert len(records) == 1 and evidence.queued == 0
    event = json.loads((records[0].folder / "event.json").read_text())
    assert event["violation"]["type"] == "red_light" and event["plate"] is None
    assert event["violation"]["detected_at"] == "2026-01-15T07:30:03.000+07:00"
    roles = {m["role"]: m for m in event["media"]}
    assert set(roles) == {"overview_before", "overview_at", "overview_after", "vehicle_closeup",
                          "overview_annotated"}
    assert roles["overview_before"]["frame_index"] == 20 and roles["overview_after"]["frame_index"] == 40
    for item in event["media"]:
        data = (records[0].folder / item["name"]).read_bytes()
        assert item["sha256"] == hashlib.sha256(data).hexdigest() and item["bytes"] == len(data)


def test_flush_writes_what_is_pending(tmp_path: Path) -> None:
    evidence = builder(tmp_path, tmp_path / "ev")
    for i in range(5):
        evidence.on_frame(frame(i))
    evidence.add(violation_at(4))
    (record,) = evidence.flush()
    roles = [m["role"] for m in record.event["media"]]  # type: ignore[union-attr]
    assert "overview_after" not in roles  # no frame after the act exists: none is invented


def test_signed_folders_verify(tmp_path: Path) -> None:
    seal = sealer(tmp_path)
    evidence = builder(tmp_path, tmp_path / "ev", seal)
    for i in range(3):
        evidence.on_frame(frame(i))
        evidence.add(violation_at(i))
    records = evidence.flush()
    assert [r.event["device"]["seq"] for r in records] == [1, 2, 3]  # type: ignore[index]
    assert all(r.signed and (r.folder / "event.jws").is_file() for r in records)
    report = verify_path(tmp_path / "ev", load_public_keys(tmp_path / "keys"))
    assert report.ok and report.records == 3, report.lines()


def test_failed_signed_write_keeps_its_number_then_becomes_a_gap(tmp_path: Path) -> None:
    """A write that keeps failing (full disk, here a file blocking the folder) is retried with the
    same reserved number, holds later events back, and at the end is declared lost in a signed gap."""
    seal = sealer(tmp_path)
    root = tmp_path / "ev"
    evidence = builder(tmp_path, root, seal)
    evidence.on_frame(frame(0))
    evidence.add(violation_at(0))
    evidence.add(violation_at(0))
    stuck = evidence._queue[0].event_id
    blocker = root / stuck
    blocker.mkdir(parents=True)  # the final rename onto a non-empty folder fails
    (blocker / "x").write_text("x")
    assert evidence.on_frame(frame(30)) == [] and evidence.queued == 2
    assert len(evidence.failures) == 1  # the second event waited instead of taking a number
    assert evidence.flush() == []
    (gap,) = root.glob("gap-*.jws")
    assert unverified_payload(gap.read_text().strip())["missing"] == {"first": 1, "last": 1}
    (blocker / "x").unlink()
    blocker.rmdir()
    report = verify_path(root, load_public_keys(tmp_path / "keys"))
    assert report.ok and [f.check for f in report.warnings if f.check == "gap"] == ["gap"], report.lines()


def test_failed_write_is_kept_and_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    evidence = builder(tmp_path, blocker)
    evidence.on_frame(frame(0))
    evidence.add(violation_at(0))
    assert evidence.flush() == []
    assert evidence.queued == 1 and "cannot write evidence" in evidence.failures[0]


def test_the_clip_spans_the_act_and_plays(tmp_path: Path) -> None:
    """2 s before the act to 2 s after, at the camera's rate, readable by a video decoder."""
    evidence = builder(tmp_path, tmp_path / "ev", sealer(tmp_path), clip=True)
    for i in range(31):
        evidence.on_frame(frame(i))
    evidence.add(violation_at(30))
    records = [r for i in range(31, 60) for r in evidence.on_frame(frame(i))] + evidence.flush()
    (record,) = records
    event = json.loads((record.folder / "event.json").read_text())
    (clip,) = [m for m in event["media"] if m["role"] == "clip"]
    assert (clip["name"], clip["content_type"], clip["frame_index"]) == ("clip.mp4", "video/mp4", 10)
    assert clip["captured_at"] == "2026-01-15T07:30:01.000+07:00"
    data = (record.folder / "clip.mp4").read_bytes()
    assert hashlib.sha256(data).hexdigest() == clip["sha256"] and len(data) == clip["bytes"]
    video = cv2.VideoCapture(str(record.folder / "clip.mp4"))
    try:
        decoded = []
        while True:
            ok, image = video.read()
            if not ok:
                break
            decoded.append(image)
        assert video.get(cv2.CAP_PROP_FPS) == pytest.approx(10)
    finally:
        video.release()
    assert len(decoded) == 41 and decoded[0].shape == frame(0).image.shape
    # The frames are the act's: frames 10, 20, ... 50, each with the grey level `frame` gives it
    # (the codec's limited-range YUV shifts greys by a few levels).
    shades = [float(frame(i).image.mean()) for i in range(10, 51, 10)]
    assert [float(img.mean()) for img in decoded[::10]] == pytest.approx(shades, abs=5)
    assert verify_path(tmp_path / "ev", load_public_keys(tmp_path / "keys")).ok
