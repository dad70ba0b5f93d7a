"""The outbox on real SQLite files: states, the resend timer, what deletes, scanning the evidence
root, and SIGKILLs in the middle of writes."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.contract.receipts import Receipt
from edge.delivery.outbox import Outbox, OutboxError
from edge.delivery.records import Entry, scan
from edge.ledger.seal import Sealer
from tests.brokers import ROOT
from tests.delivery.synth import DEVICE_ID, emit, make_keys
from tests.delivery.template import event_template

T = 1_800_000_000.0


def entry(seq: int, path: str | None = None) -> Entry:
    return Entry(f"event-{seq}", "event", seq, path or f"folder-{seq}", 1000 * seq)


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox.open(tmp_path / ".outbox.sqlite")


def test_queue_is_idempotent_and_served_in_seq_order(outbox: Outbox) -> None:
    assert outbox.add([entry(3), entry(1), entry(2)], T) == 3
    assert outbox.add([entry(1)], T + 1) == 0  # a record queued twice stays one row
    assert [r.entry.seq for r in outbox.due(T, 60, limit=10)] == [1, 2, 3]
    assert [r.entry.seq for r in outbox.due(T, 60, limit=2)] == [1, 2]
    assert outbox.due(T, 60, limit=0) == []


def test_a_sent_record_waits_for_its_receipt_then_goes_out_again(outbox: Outbox) -> None:
    outbox.add([entry(1), entry(2)], T)
    outbox.mark_sent(["event-1"], T)
    assert [r.entry.seq for r in outbox.due(T + 59, 60, 10)] == [2]
    assert outbox.in_flight(T + 59, 60) == 1
    assert [r.entry.seq for r in outbox.due(T + 61, 60, 10)] == [1, 2]  # no receipt within 60 s: resend
    assert [r.entry.seq for r in outbox.due(T - 3600, 60, 10)] == [1, 2]  # the clock went back: resend too
    outbox.mark_sent(["event-1"], T + 61)
    assert outbox.get("event-1") is not None and outbox.get("event-1").attempts == 2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("receipts", "expected"),
    [
        ([], {"event-1": "sent", "event-2": "pending"}),
        ([Receipt("event-1", "stored")], {"event-1": "receipted", "event-2": "pending"}),
        ([Receipt("event-2", "rejected", "bad signature")], {"event-1": "sent", "event-2": "rejected"}),
        ([Receipt("someone-else", "stored")], {"event-1": "sent", "event-2": "pending"}),
        ([Receipt("event-2", "rejected", "x"), Receipt("event-2", "stored")], {"event-1": "sent",
                                                                               "event-2": "receipted"}),
    ],
    ids=["no receipt", "stored", "rejected", "unknown event", "stored after a rejection"],
)
def test_receipts_settle_records(outbox: Outbox, receipts: list[Receipt], expected: dict[str, str]) -> None:
    outbox.add([entry(1), entry(2)], T)
    outbox.mark_sent(["event-1"], T)
    matched = outbox.settle(receipts, T + 1)
    assert {r.event_id for r in matched} <= {"event-1", "event-2"}
    assert {r.entry.event_id: r.state for r in outbox.rows()} == expected


def test_only_a_receipted_record_is_deleted_after_the_retention(tmp_path: Path) -> None:
    make_keys(tmp_path / "keys")
    root = tmp_path / "evidence"
    with_sealer = Sealer.open(tmp_path / "keys", DEVICE_ID, "boot")
    records = [emit(with_sealer, root, i, event_template()) for i in range(1, 4)]
    with_sealer.close()
    outbox = Outbox.open(root / ".outbox.sqlite")
    found = scan(root, DEVICE_ID, outbox.known_paths())
    outbox.add(found.entries, T)
    a, b, c = (r.event_id for r in records)
    outbox.mark_sent([a, b, c], T)  # every PUBACK came: it changes nothing here
    outbox.settle([Receipt(a, "stored"), Receipt(b, "rejected", "media_sha256")], T + 10)
    assert outbox.purge(root, T + 15, retention_s=3600) == 0
    assert all(r.folder.exists() for r in records)
    assert outbox.purge(root, T + 3611, retention_s=3600) == 1
    assert not records[0].folder.exists() and records[1].folder.exists() and records[2].folder.exists()
    assert {r.entry.event_id: r.state for r in outbox.rows()} == {b: "rejected", c: "sent"}
    stats = outbox.stats(T + 3611)
    assert (stats.depth, stats.rejected, stats.oldest_age_s) == (1, 1, 3611)
    assert stats.held_bytes == sum(e.bytes for e in found.entries if e.event_id != a)
    assert outbox.integrity() == "ok"


def test_state_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / ".outbox.sqlite"
    first = Outbox.open(path)
    first.add([entry(1), entry(2)], T)
    first.mark_sent(["event-2"], T)
    first.close()
    again = Outbox.open(path)
    assert {r.entry.event_id: r.state for r in again.rows()} == {"event-1": "pending", "event-2": "sent"}
    assert again.resend_all() == 1  # what a broker that lost our session needs
    assert [r.state for r in again.rows()] == ["pending", "pending"]


def test_a_corrupt_outbox_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / ".outbox.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(OutboxError, match="Move it aside"):
        Outbox.open(path)


def test_scan_queues_signed_records_and_sets_the_rest_apart(tmp_path: Path) -> None:
    make_keys(tmp_path / "keys")
    root = tmp_path / "evidence"
    sealer = Sealer.open(tmp_path / "keys", DEVICE_ID, "boot")
    signed = emit(sealer, root, 1, event_template())
    sealer.seal("lost-before-storing", {"event_id": "lost-before-storing"})
    gap = sealer.record_gap(root, "test", datetime.now(UTC))
    sealer.close()
    (root / "unsigned-event").mkdir()
    (root / "unsigned-event" / "event.json").write_text("{}")
    (root / ".partial-half-written").mkdir()
    make_keys(tmp_path / "other-keys", "another-device")
    other = Sealer.open(tmp_path / "other-keys", "another-device", "boot")
    foreign = emit(other, root, 1, event_template(), device_id="another-device")
    other.close()
    found = scan(root, DEVICE_ID, known_paths=set())
    assert [(e.kind, e.seq, e.path) for e in found.entries] == [("event", 1, signed.folder.name),
                                                                 ("gap", 3, gap.name)]
    assert found.unsigned == ("unsigned-event",) and found.foreign == (foreign.folder.name,)
    assert scan(root, DEVICE_ID, known_paths={signed.folder.name, gap.name}).entries == ()


def test_sigkill_during_writes_loses_no_committed_row(tmp_path: Path) -> None:
    path = tmp_path / ".outbox.sqlite"
    rng = random.Random(3)
    committed: dict[int, str] = {}
    for _ in range(8):
        child = subprocess.Popen([sys.executable, "-m", "tests.delivery.outbox_child", str(path)], cwd=ROOT,
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        lines: list[str] = []
        reader = threading.Thread(target=lines.extend, args=(child.stdout,), daemon=True)
        reader.start()
        deadline = time.monotonic() + 20
        while "ready\n" not in lines and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.05, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        reader.join(5)
        for line in lines:
            if line.startswith("added "):
                _, seq, event_id = line.split()
                committed[int(seq)] = event_id
        outbox = Outbox.open(path)
        try:
            assert outbox.integrity() == "ok"
            rows = {r.entry.seq: r.entry.event_id for r in outbox.rows()}
        finally:
            outbox.close()
        assert committed.items() <= rows.items()  # every add the child saw committed is there
    assert len(committed) > 50
