"""Retention on the box (issue 16): a receipted record purged after its retention leaves a signed
tombstone and an audit line, and the chain of what is left still verifies; without the tombstone
it would not. Real keys, real outbox (SQLite), real evidence folders."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.contract.receipts import Receipt
from edge.delivery.outbox import Outbox
from edge.delivery.records import scan
from edge.ledger.keys import load_public_keys, load_signer
from edge.ledger.seal import Sealer
from edge.ledger.signing import schema_errors, sign_event, unverified_payload, verify_jws
from edge.ledger.tombstone import AUDIT_FILE, Purge, Undertaker, tombstone_document, tombstone_path
from edge.ledger.verify import verify_path
from tests.delivery.synth import DEVICE_ID, emit, make_keys
from tests.delivery.template import event_template

T = 1_800_000_000.0
Box = tuple[Path, Path, Outbox, list[str]]
DAY = 24 * 3600.0


@pytest.fixture
def box(tmp_path: Path) -> Box:
    """(evidence root, key folder, outbox, event ids) with four signed records, all sent; the first
    and third receipted (stored), the second rejected: a purge leaves holes inside the chain."""
    keys, root = tmp_path / "keys", tmp_path / "evidence"
    make_keys(keys)
    sealer = Sealer.open(keys, DEVICE_ID, "boot")
    records = [emit(sealer, root, i, event_template()) for i in range(1, 5)]
    sealer.close()
    outbox = Outbox.open(root / ".outbox.sqlite")
    outbox.add(scan(root, DEVICE_ID, outbox.known_paths()).entries, T)
    ids = [r.event_id for r in records]
    outbox.mark_sent(ids, T)
    outbox.settle([Receipt(ids[0], "stored"), Receipt(ids[1], "rejected", "x"), Receipt(ids[2], "stored")], T + 10)
    return root, keys, outbox, ids


def undertaker(keys: Path, root: Path) -> Undertaker:
    return Undertaker(load_signer(keys / "device.key.pem"), DEVICE_ID, root / AUDIT_FILE)


def test_purged_records_leave_tombstones_and_the_chain_still_verifies(box: Box) -> None:
    root, keys, outbox, ids = box
    assert outbox.purge(root, T + DAY - 1, DAY, undertaker(keys, root)) == 0  # within the retention: kept
    assert outbox.purge(root, T + DAY + 11, DAY, undertaker(keys, root)) == 2
    assert not (root / ids[0]).exists() and not (root / ids[2]).exists()
    assert (root / ids[1]).exists() and (root / ids[3]).exists()  # rejected and unanswered: kept
    stones = sorted(root.glob("tombstone-*.jws"))
    assert [p.name for p in stones] == [tombstone_path(root, 1).name, tombstone_path(root, 3).name]
    public = load_public_keys(keys)
    stone = verify_jws(stones[0].read_text().strip(), public)
    assert schema_errors(stone) == []
    assert (stone["purged"]["event_id"], stone["status"], stone["retention_s"]) == (ids[0], "receipted", DAY)
    assert "plate" not in json.dumps(stone)  # nothing personal survives the purge
    audit = [json.loads(line) for line in (root / AUDIT_FILE).read_text().splitlines()]
    assert [(a["action"], a["event_id"], a["tombstone"]) for a in audit] == [
        ("purge", ids[0], stones[0].name), ("purge", ids[2], stones[1].name)]
    report = verify_path(root, public)
    assert report.ok, report.lines()
    assert sorted(f.subject for f in report.warnings if f.check == "purged") == sorted([ids[0], ids[2]])


def test_without_tombstones_the_purge_breaks_the_chain(box: Box) -> None:
    root, keys, outbox, _ = box
    assert outbox.purge(root, T + DAY + 11, DAY) == 2  # the old way: files gone, nothing left in their place
    report = verify_path(root, load_public_keys(keys))
    assert not report.ok
    assert {f.check for f in report.failures} == {"chain_gap"}  # seq 3, between the kept 2 and 4


def test_a_purge_a_crash_interrupted_still_verifies(box: Box) -> None:
    """The tombstone is written, the files not yet deleted: both are there, with the same hash."""
    root, keys, _, ids = box
    record = (root / ids[0] / "event.jws").read_text().strip()
    undertaker(keys, root).bury(root, record, Purge("receipted", "test", DAY, datetime.now(UTC)))
    report = verify_path(root, load_public_keys(keys))
    assert report.ok, report.lines()


def test_a_purge_killed_mid_deletion_is_finished_by_the_next(box: Box) -> None:
    """Buried, then killed while deleting: event.jws already gone, a medium left. The next purge must
    delete the rest (it once kept such a folder forever: no JWS to bury it by)."""
    root, keys, outbox, ids = box
    record = (root / ids[0] / "event.jws").read_text().strip()
    undertaker(keys, root).bury(root, record, Purge("receipted", "test", DAY, datetime.now(UTC)))
    (root / ids[0] / "event.jws").unlink()
    assert any((root / ids[0]).iterdir())
    # Another receipted folder without its JWS and with no tombstone is kept: nothing would stand for it.
    (root / ids[2] / "event.jws").unlink()
    assert outbox.purge(root, T + DAY + 11, DAY, undertaker(keys, root)) == 1
    assert not (root / ids[0]).exists() and (root / ids[2]).exists()
    assert not tombstone_path(root, 3).exists()


def test_a_forged_or_wrong_tombstone_is_refused(box: Box) -> None:
    root, keys, outbox, ids = box
    outbox.purge(root, T + DAY + 11, DAY, undertaker(keys, root))
    public = load_public_keys(keys)
    first = tombstone_path(root, 1)
    text = first.read_text().strip()
    head, body, sig = text.split(".")
    first.write_text(f"{head}.{body}.{sig[:-4]}AAAA\n")  # tampered: the signature no longer holds
    assert {f.check for f in verify_path(root, public).failures} >= {"signature"}
    # Correctly signed, but for a record whose hash is not what the next record links to.
    document = tombstone_document((root / ids[1] / "event.jws").read_text().strip(),
                                  Purge("receipted", "test", DAY, datetime.now(UTC)), (DEVICE_ID, "x" * 43))
    document["purged"]["device"]["seq"] = 1
    signer = load_signer(keys / "device.key.pem")
    document["issuer"]["kid"] = signer.kid
    first.write_text(sign_event(document, signer) + "\n")
    failures = {f.check for f in verify_path(root, public).failures}
    assert failures & {"chain_prev_hash", "chain_reorder", "chain_duplicate_seq", "tombstone_mismatch"}


def test_a_purged_gap_record_keeps_its_hole_declared(tmp_path: Path) -> None:
    keys, root = tmp_path / "keys", tmp_path / "evidence"
    make_keys(keys)
    sealer = Sealer.open(keys, DEVICE_ID, "boot")
    emit(sealer, root, 1, event_template())
    gap = sealer.declare_lost(root, "disk full", datetime.now(UTC))
    emit(sealer, root, 2, event_template())
    sealer.close()
    seq = unverified_payload(gap.read_text().strip())["device"]["seq"]
    undertaker(keys, root).bury(root, gap.read_text().strip(), Purge("receipted", "test", 0.0, datetime.now(UTC)))
    gap.unlink()
    assert tombstone_path(root, seq).exists()
    report = verify_path(root, load_public_keys(keys))
    assert report.ok, report.lines()
    assert any(f.check == "gap" for f in report.warnings)  # the lost seq is still declared, by the tombstone
