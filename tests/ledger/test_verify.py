"""verify_path on real evidence folders: every kind of tampering is caught and named."""

from __future__ import annotations

import json
import random
import shutil
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import OKPKey

from edge.ledger.chain import ChainState, GapRecord, Link, write_gap
from edge.ledger.keys import FileSigner, KeyRing
from edge.ledger.signing import GENESIS_HASH, event_hash, sign_event, unverified_payload, with_link
from edge.ledger.store import write_event_folder
from edge.ledger.verify import VerifyReport, verify_path
from tests.builders import DEVICE_ID, Device, jpeg, unsigned_event

NOW = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)


def chain(tmp_path: Path, events: int = 4) -> tuple[Device, list[Path]]:
    device = Device.create(tmp_path)
    return device, [device.emit()[0] for _ in range(events)]


def failed(report: VerifyReport) -> set[tuple[str, str]]:
    return {(f.subject, f.check) for f in report.failures}


def test_untouched_evidence_passes(tmp_path: Path) -> None:
    device, folders = chain(tmp_path)
    report = verify_path(device.root, device.keys)
    assert report.ok and report.records == 4 and report.findings == () and report.lines() == []
    single = verify_path(folders[2], device.keys)  # one folder: no chain to compare, no complaint
    assert single.ok and single.records == 1 and [f.check for f in single.warnings] == ["chain_start"]
    assert verify_path(folders[0] / "event.jws", device.keys).ok


def test_a_failure_is_one_line_naming_event_and_check(tmp_path: Path) -> None:
    device, folders = chain(tmp_path, 2)
    (folders[1] / "vehicle.jpg").write_bytes(b"x")
    event_id = folders[1].name
    lines = verify_path(device.root, device.keys).lines()
    assert f"{event_id}: media_bytes: vehicle.jpg has 1 bytes" in lines[0]
    assert lines[1].startswith(f"{event_id}: media_sha256: vehicle.jpg hashes to ")
    assert len(lines) == 2


def test_sampled_one_bit_flips_of_a_media_file_are_rejected(tmp_path: Path) -> None:
    device = Device.create(tmp_path)
    folder, _ = device.emit(media_size=(240, 320))
    media = folder / "overview_at.jpg"
    original = media.read_bytes()
    rng = random.Random(1)
    flips = [(rng.randrange(len(original)), rng.randrange(8)) for _ in range(1200)]
    start = time.perf_counter()
    for index, bit in flips:
        data = bytearray(original)
        data[index] ^= 1 << bit
        media.write_bytes(data)
        assert failed(verify_path(folder, device.keys)) == {(folder.name, "media_sha256")}, (index, bit)
    media.write_bytes(original)
    assert verify_path(folder, device.keys).failures == ()
    elapsed = time.perf_counter() - start
    print(f"\n{len(flips)} one-bit flips of a {len(original)}-byte JPEG rejected in {elapsed:.1f} s")


@pytest.mark.parametrize("change", [lambda b: b[:-1], lambda b: b[: len(b) // 2], lambda b: b + b"\0", lambda b: b""])
def test_truncated_or_extended_media_is_rejected(tmp_path: Path, change: object) -> None:
    device, folders = chain(tmp_path, 1)
    media = folders[0] / "overview_at.jpg"
    media.write_bytes(change(media.read_bytes()))  # type: ignore[operator]
    assert failed(verify_path(device.root, device.keys)) == {(folders[0].name, "media_bytes"),
                                                             (folders[0].name, "media_sha256")}


def test_missing_extra_and_copy_edits_are_named(tmp_path: Path) -> None:
    device, folders = chain(tmp_path, 3)
    (folders[0] / "vehicle.jpg").unlink()
    (folders[1] / "notes.txt").write_text("added later")
    copy = json.loads((folders[2] / "event.json").read_text())
    copy["vehicle"]["class"] = "bus"
    (folders[2] / "event.json").write_text(json.dumps(copy))
    assert failed(verify_path(device.root, device.keys)) == {
        (folders[0].name, "media_missing"), (folders[1].name, "media_extra"), (folders[2].name, "payload_copy")}
    (folders[2] / "event.json").unlink()
    (folders[1] / "event.jws").unlink()
    assert failed(verify_path(device.root, device.keys)) >= {
        (folders[1].name, "jws"), (folders[2].name, "payload_copy")}


def test_wrong_key_and_unknown_kid(tmp_path: Path) -> None:
    device, folders = chain(tmp_path, 3)
    stranger = OKPKey.import_key(Ed25519PrivateKey.generate())
    payload = unverified_payload((folders[1] / "event.jws").read_text())
    forged = sign_event(payload, FileSigner(key=stranger, kid=device.signer.kid))
    (folders[1] / "event.jws").write_text(forged)
    report = verify_path(device.root, device.keys)
    assert failed(report) == {(folders[1].name, "signature")}  # and no chain_gap noise for its seq
    other = KeyRing.of(stranger)
    assert {check for _, check in failed(verify_path(device.root, other))} == {"kid"}


def test_replayed_event_is_named(tmp_path: Path) -> None:
    device, folders = chain(tmp_path, 3)
    shutil.copytree(folders[1], device.root / "resent-copy")
    report = verify_path(device.root, device.keys)
    assert failed(report) == {(folders[1].name, "replay")}
    assert "resent-copy" in report.lines()[0]


def test_removed_event_is_a_chain_gap(tmp_path: Path) -> None:
    device, folders = chain(tmp_path, 4)
    shutil.rmtree(folders[1])
    report = verify_path(device.root, device.keys)
    assert failed(report) == {(folders[2].name, "chain_gap")}
    assert "seq 2..2 missing" in report.lines()[0]


def test_duplicated_seq_after_a_restored_state_backup(tmp_path: Path) -> None:
    device, _ = chain(tmp_path, 2)
    state_file = tmp_path / "chain.json"
    backup = state_file.read_bytes()
    device.emit()
    device.state.close()
    state_file.write_bytes(backup)  # somebody restores yesterday's state file: seq 3 is handed out again
    device.state = ChainState.open(state_file, DEVICE_ID)
    device.emit()
    checks = failed(verify_path(device.root, device.keys))
    assert {check for _, check in checks} == {"chain_duplicate_seq"}


def _sign(device: Device, seq: int, prev: str) -> str:
    event = unsigned_event(device.ctx, seq, {"a.jpg": jpeg(seq)})
    linked = with_link(event, seq, prev, device.signer.kid)
    token = sign_event(linked, device.signer)
    write_event_folder(device.root, event["event_id"], {"a.jpg": jpeg(seq), "event.jws": token.encode()}, linked)
    return token


def test_reordered_chain_is_named(tmp_path: Path) -> None:
    device = Device.create(tmp_path)
    a = _sign(device, 1, GENESIS_HASH)
    b = _sign(device, 3, event_hash(a))  # signed second, numbered third
    c = _sign(device, 2, event_hash(b))
    report = verify_path(device.root, device.keys)
    ids = {name: unverified_payload(token)["event_id"] for name, token in {"b": b, "c": c}.items()}
    assert failed(report) == {(ids["b"], "chain_reorder"), (ids["c"], "chain_reorder")}
    assert any("points to seq 3" in line for line in report.lines())


def test_broken_links_and_false_genesis_are_named(tmp_path: Path) -> None:
    device = Device.create(tmp_path)
    a = _sign(device, 1, GENESIS_HASH)
    b = _sign(device, 2, "sha256:" + "f" * 64)
    c = _sign(device, 3, GENESIS_HASH)
    checks = failed(verify_path(device.root, device.keys))
    assert checks == {(unverified_payload(b)["event_id"], "chain_prev_hash"),
                      (unverified_payload(c)["event_id"], "chain_prev_hash")}
    assert a


def test_schema_violations_are_named(tmp_path: Path) -> None:
    device = Device.create(tmp_path)
    event = unsigned_event(device.ctx, 1, {"a.jpg": jpeg(1)})
    linked = with_link(event, 1, GENESIS_HASH, device.signer.kid)
    linked["media"][0]["sha256"] = linked["media"][0]["sha256"].upper()
    del linked["software"]
    token = sign_event(linked, device.signer)
    write_event_folder(device.root, event["event_id"], {"a.jpg": jpeg(1), "event.jws": token.encode()}, linked)
    lines = verify_path(device.root, device.keys).lines()
    assert any("schema: (root): 'software' is a required property" in line for line in lines)
    assert any("schema: media/0/sha256" in line for line in lines)


def test_empty_or_absent_paths_fail(tmp_path: Path) -> None:
    assert verify_path(tmp_path, KeyRing({})).lines() == [f"{tmp_path}: jws: no evidence records found"]
    assert not verify_path(tmp_path / "absent", KeyRing({})).ok


def test_gap_records_are_warnings_and_must_end_before_their_own_seq(tmp_path: Path) -> None:
    device, _ = chain(tmp_path, 2)
    device.emit(commit=False)  # stored, but the box declares it lost anyway (a fork: say so, do not fail)
    gap = device.state.record_gap(device.signer, "boot-1", "declared without looking", NOW)
    write_gap(device.root, gap)
    device.state.commit(gap)
    device.emit()
    report = verify_path(device.root, device.keys)
    assert report.ok and {f.check for f in report.warnings} == {"gap", "gap_overlap"}
    seq = device.state.snapshot.next_seq
    bad = GapRecord(str(uuid.uuid4()), DEVICE_ID, "boot-1", device.signer.kid,
                    Link(seq, device.state.snapshot.prev_hash), (1, 2), "wrong range", NOW)
    write_gap(device.root, sign_event(bad.document(), device.signer))
    lines = verify_path(device.root, device.keys).lines()
    assert any(": schema: missing {'first': 1, 'last': 2} must end at device.seq - 1" in line for line in lines)
