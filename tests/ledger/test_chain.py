"""The chain state: durable reservations, crash recovery into signed gaps, and a real SIGKILL test."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.ledger.chain import ChainState, ChainStateError, gap_path, recover
from edge.ledger.keys import load_public_keys
from edge.ledger.signing import GENESIS_HASH, event_hash, sign_event, unverified_payload, verify_jws, with_link
from edge.ledger.verify import verify_path
from tests.builders import DEVICE_ID, Device, jpeg, unsigned_event

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)


def test_links_start_at_genesis_and_follow_the_previous_jws(tmp_path: Path) -> None:
    device = Device.create(tmp_path)
    _, first = device.emit()
    _, second = device.emit()
    assert unverified_payload(first)["device"]["seq"] == 1
    assert unverified_payload(first)["prev_hash"] == GENESIS_HASH
    assert unverified_payload(second)["prev_hash"] == event_hash(first)
    device.state.close()
    with ChainState.open(tmp_path / "chain.json", DEVICE_ID) as reopened:  # survives a restart
        snap = reopened.snapshot
        assert (snap.next_seq, snap.committed_seq, snap.prev_hash) == (3, 2, event_hash(second))
        assert snap.kid == device.signer.kid and snap.reserved is None


def test_opening_refuses_what_would_reuse_a_seq(tmp_path: Path) -> None:
    path = tmp_path / "chain.json"
    with pytest.raises(ChainStateError, match="does not exist"):
        ChainState.open(path, "dev")
    with ChainState.open(path, "dev", create=True), pytest.raises(ChainStateError, match="in use by another"):
        ChainState.open(path, "dev")
    with pytest.raises(ChainStateError, match="belongs to device 'dev'"):
        ChainState.open(path, "other")
    path.write_text(json.dumps({"format": "etle.chain-state/1", "device_id": "dev"})[:-3])
    with pytest.raises(ChainStateError, match=r"corrupt.*Do not delete it"):
        ChainState.open(path, "dev")


def test_reservation_is_durable_and_retry_returns_the_same_link(tmp_path: Path) -> None:
    device = Device.create(tmp_path)
    first = device.state.next_link("event-a")
    assert device.state.next_link("event-a") == first  # a retried write keeps its seq
    with pytest.raises(ChainStateError, match="reserved but never committed"):
        device.state.next_link("event-b")
    device.state.close()
    with ChainState.open(tmp_path / "chain.json", DEVICE_ID) as reopened:
        assert reopened.reserved is not None and reopened.reserved.seq == 1
        with pytest.raises(ChainStateError, match="call recover"):
            reopened.next_link("event-b")


def test_commit_accepts_only_the_reserved_record(tmp_path: Path) -> None:
    device = Device.create(tmp_path)
    event = unsigned_event(device.ctx, 1, {"a.jpg": jpeg(1)})
    with pytest.raises(ChainStateError, match="without a reservation"):
        device.state.commit(sign_event(with_link(event, 1, GENESIS_HASH, device.signer.kid), device.signer))
    link = device.state.next_link(event["event_id"])
    for seq, prev in ((2, link.prev_hash), (link.seq, "sha256:" + "1" * 64)):
        with pytest.raises(ChainStateError, match="the reservation is seq 1"):
            device.state.commit(sign_event(with_link(event, seq, prev, device.signer.kid), device.signer))


def test_crash_before_storing_becomes_a_signed_gap(tmp_path: Path) -> None:
    device = Device.create(tmp_path)
    device.emit()
    device.state.next_link("lost-event")  # then the process dies: nothing stored, nothing committed
    device.state.close()
    with ChainState.open(tmp_path / "chain.json", DEVICE_ID) as state:
        written = recover(state, device.root, device.signer, "boot-2", NOW)
        assert written == gap_path(device.root, 3)
        gap = verify_jws(written.read_text().strip(), device.keys)
        assert gap["missing"] == {"first": 2, "last": 2} and gap["device"]["seq"] == 3
        assert state.snapshot.unaccounted == range(3, 3)
        assert recover(state, device.root, device.signer, "boot-2", NOW) is None  # idempotent
        device.state = state
        device.emit()
    report = verify_path(device.root, device.keys)
    assert report.failures == () and report.records == 3
    assert [f.check for f in report.warnings] == ["gap"]


def test_crash_after_storing_is_committed_not_gapped(tmp_path: Path) -> None:
    device = Device.create(tmp_path)
    device.emit()
    device.emit(commit=False)  # stored, then the process dies before commit
    device.state.close()
    with ChainState.open(tmp_path / "chain.json", DEVICE_ID) as state:
        assert recover(state, device.root, device.signer, "boot-2", NOW) is None
        assert state.snapshot.committed_seq == 2
    assert verify_path(device.root, device.keys).findings == ()


def test_crash_inside_recovery_widens_the_next_gap(tmp_path: Path) -> None:
    device = Device.create(tmp_path)
    device.emit()
    device.state.next_link("lost-event")
    device.state.record_gap(device.signer, "boot-2", "dies before storing this gap", NOW)  # seq 3, not stored
    device.state.close()
    with ChainState.open(tmp_path / "chain.json", DEVICE_ID) as state:
        written = recover(state, device.root, device.signer, "boot-3", NOW)
    assert written is not None
    assert unverified_payload(written.read_text().strip())["missing"] == {"first": 2, "last": 3}
    assert verify_path(device.root, device.keys).failures == ()


def test_a_failed_write_is_declared_with_record_gap(tmp_path: Path) -> None:
    device = Device.create(tmp_path)
    device.emit()
    device.state.next_link("write-failed")
    gap = device.state.record_gap(device.signer, "boot-1", "evidence write failed: disk full", NOW)
    (device.root / gap_path(device.root, 3).name).write_text(gap)
    device.state.commit(gap)
    device.emit()
    report = verify_path(device.root, device.keys)
    assert report.ok and "disk full" in report.warnings[0].detail
    with pytest.raises(ChainStateError, match="nothing to declare"):
        device.state.record_gap(device.signer, "boot-1", "nothing", NOW)


def test_sigkill_at_random_moments_never_reuses_nor_hides_a_seq(tmp_path: Path) -> None:
    Device.create(tmp_path).state.close()
    rng = random.Random(20260115)
    command = [sys.executable, "-m", "tests.ledger.chain_child", str(tmp_path)]
    for _ in range(8):
        child = subprocess.Popen([*command, "0"], cwd=ROOT, stdout=subprocess.PIPE)
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.05, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    subprocess.run([*command, "2"], cwd=ROOT, check=True, timeout=60, stdout=subprocess.DEVNULL)

    report = verify_path(tmp_path / "evidence", load_public_keys(tmp_path / "keys"))
    assert report.failures == (), report.lines()  # no duplicate seq, no silent hole, every link holds
    assert {f.check for f in report.warnings} <= {"gap", "incomplete"}
    with ChainState.open(tmp_path / "chain.json", DEVICE_ID) as state:
        snap = state.snapshot
    assert snap.reserved is None and snap.committed_seq == snap.next_seq - 1
    evidence = tmp_path / "evidence"
    gaps = [unverified_payload(p.read_text().strip()) for p in evidence.glob("gap-*.jws")]
    seqs = {g["device"]["seq"] for g in gaps}
    lost = {s for g in gaps for s in range(g["missing"]["first"], g["missing"]["last"] + 1)}
    events = {unverified_payload((p / "event.jws").read_text())["device"]["seq"]
              for p in evidence.iterdir() if (p / "event.jws").exists() and not p.name.startswith(".partial-")}
    assert events | seqs | lost == set(range(1, snap.committed_seq + 1))
    assert not events & seqs and not (events | seqs) & lost
    print(f"\n8 SIGKILLs: {len(events)} events, {len(seqs)} gap records covering {len(lost)} lost seqs, "
          f"{sum(1 for f in report.warnings if f.check == 'incomplete')} half-written folders left")
