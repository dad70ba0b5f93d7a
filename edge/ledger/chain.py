"""The per-device hash chain: sequence numbers that survive crashes, and signed gap records.

Protocol, per record (event or gap):
    link = state.next_link(record_id)   # seq reserved on disk before anything is signed
    jws = sign_event(with_link(event, link.seq, link.prev_hash, kid), signer)
    ... store the record durably (evidence folder / gap file) ...
    state.commit(jws)                   # prev_hash advances; only now may the record be released

A SIGKILL anywhere leaves either a committed record or a reservation on disk. `recover()` turns
a reservation into a commit (the record was stored) or into a signed gap record (it was not), so a
seq is never reused and a hole is never silent. A gap at seq G covers every seq between the last
committed record and G, and links to that record: the chain stays verifiable across the hole.
"""

from __future__ import annotations

import fcntl
import json
import os
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from edge.errors import EtleError, EvidenceError
from edge.ledger.keys import Signer
from edge.ledger.signing import GENESIS_HASH, MalformedJwsError, event_hash, sign_event, unverified_payload
from edge.ledger.store import fsync_dir, write_file

STATE_FORMAT = "etle.chain-state/1"
GAP_SCHEMA = "etle.gap/1"


class ChainStateError(EtleError):
    """The chain state cannot be trusted or used as asked; continuing would reuse or hide a seq."""


@dataclass(frozen=True, slots=True)
class Link:
    seq: int
    prev_hash: str


# The state file's key for the reservation: "pending" since the first boxes, kept so their files load.
_RESERVED_KEY = "pending"


@dataclass(frozen=True, slots=True)
class Reservation:
    """A seq reserved for a record that was never committed (a crash, or a failed write)."""

    seq: int
    record_id: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the state file holds. Every seq below next_seq is consumed for good."""

    device_id: str
    next_seq: int = 1
    committed_seq: int = 0
    prev_hash: str = GENESIS_HASH
    kid: str | None = None
    reserved: Reservation | None = None

    @property
    def unaccounted(self) -> range:
        """Seqs consumed after the last commit: each must end up committed or inside a gap."""
        return range(self.committed_seq + 1, self.next_seq)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace path with data so that a crash leaves the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    write_file(tmp, data)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def _decode(raw: bytes, path: Path) -> Snapshot:
    try:
        data = json.loads(raw)
        if data.pop("format") != STATE_FORMAT:
            raise ValueError("unknown format")
        reserved = data.pop(_RESERVED_KEY)
        snap = Snapshot(**data, reserved=Reservation(**reserved) if reserved else None)
        if not (0 <= snap.committed_seq < snap.next_seq) or not snap.prev_hash.startswith("sha256:"):
            raise ValueError("inconsistent numbers")
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ChainStateError(
            f"chain state {path} is corrupt ({exc}). Do not delete it: a fresh state would reuse sequence "
            "numbers. Restore it from a backup, or retire this device key and start a new chain with a new one."
        ) from exc
    return snap


class ChainState:
    """The chain state file of one device, held under an exclusive lock while open."""

    def __init__(self, path: Path, snapshot: Snapshot, lock_fd: int) -> None:
        self._path = path
        self._snap = snapshot
        self._lock_fd = lock_fd

    @classmethod
    def open(cls, path: Path, device_id: str, *, create: bool = False) -> ChainState:
        """Open (or with create=True start) the chain of device_id.

        Creation is explicit because a missing state file for a device that already signed events
        would restart at seq 1: that is a lost disk to investigate, not a first start.
        """
        try:
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
            lock_fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise ChainStateError(f"cannot open chain state {path}: {exc.strerror}; check the folder") from exc
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(lock_fd)
            raise ChainStateError(f"{path} is in use by another process; run one pipeline per device") from exc
        try:
            state = cls(path, cls._load(path, device_id, create), lock_fd)
        except BaseException:
            os.close(lock_fd)
            raise
        return state

    @staticmethod
    def _load(path: Path, device_id: str, create: bool) -> Snapshot:
        for stale in path.parent.glob(f".{path.name}.tmp-*"):
            stale.unlink()  # a write a crash interrupted; the lock we hold says no one else is writing
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            if not create:
                raise ChainStateError(
                    f"chain state {path} does not exist. On a new device start it once with create=True "
                    "(etle-edge keygen does); on a device that already signed events, restore it from backup."
                ) from None
            snap = Snapshot(device_id=device_id)
            atomic_write(path, _encode(snap))
            return snap
        except OSError as exc:
            raise ChainStateError(f"cannot read chain state {path}: {exc.strerror}; check permissions") from exc
        snap = _decode(raw, path)
        if snap.device_id != device_id:
            raise ChainStateError(
                f"chain state {path} belongs to device {snap.device_id!r}, not {device_id!r}; "
                "each device keeps its own state file"
            )
        return snap

    def close(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    def __enter__(self) -> ChainState:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def snapshot(self) -> Snapshot:
        return self._snap

    @property
    def reserved(self) -> Reservation | None:
        return self._snap.reserved

    def _save(self, snap: Snapshot) -> None:
        try:
            atomic_write(self._path, _encode(snap))
        except OSError as exc:
            # Nothing signed with this link may be released: the state on disk does not know it.
            raise ChainStateError(
                f"cannot persist chain state {self._path}: {exc.strerror}; hold the record and fix the disk"
            ) from exc
        self._snap = snap

    def next_link(self, record_id: str) -> Link:
        """Reserve the next seq for record_id, durably, before anything is signed with it.

        Asking again for the same record_id (a retried write) returns the same link.
        """
        snap = self._snap
        if snap.reserved is not None and snap.reserved.record_id == record_id:
            return Link(snap.reserved.seq, snap.prev_hash)
        if snap.unaccounted:
            raise ChainStateError(
                f"seq {snap.unaccounted.start}..{snap.unaccounted.stop - 1} was reserved but never committed; "
                "call recover() (after a crash) or record_gap() (after a failed write) before the next event"
            )
        return self._reserve(record_id)

    def _reserve(self, record_id: str) -> Link:
        snap = self._snap
        # An older reserved seq needs no record of its own: it stays in `unaccounted` until a gap covers it.
        self._save(replace(snap, next_seq=snap.next_seq + 1, reserved=Reservation(snap.next_seq, record_id)))
        return Link(snap.next_seq, snap.prev_hash)

    def commit(self, compact_jws: str) -> None:
        """Record that the reserved record is stored: its hash becomes the next prev_hash."""
        snap = self._snap
        if snap.reserved is None:
            raise ChainStateError("commit without a reservation: call next_link() first")
        try:
            payload = unverified_payload(compact_jws)
            device = payload["device"]
            seq, record_id, prev_hash, kid = device["seq"], payload["event_id"], payload["prev_hash"], device["kid"]
        except (MalformedJwsError, KeyError, TypeError) as exc:
            raise ChainStateError(f"cannot commit: the record lacks event_id/device.seq/prev_hash ({exc})") from exc
        if (seq, record_id) != (snap.reserved.seq, snap.reserved.record_id) or prev_hash != snap.prev_hash:
            raise ChainStateError(
                f"cannot commit seq {seq} ({record_id}, prev {prev_hash}): the reservation is seq "
                f"{snap.reserved.seq} ({snap.reserved.record_id}, prev {snap.prev_hash}); sign with the link "
                "next_link() returned"
            )
        skipped = range(snap.committed_seq + 1, seq)
        if skipped and payload.get("missing") != {"first": skipped.start, "last": skipped.stop - 1}:
            raise ChainStateError(f"seq {skipped.start}..{skipped.stop - 1} would vanish; only a gap may cover them")
        self._save(replace(snap, committed_seq=seq, prev_hash=event_hash(compact_jws), kid=kid, reserved=None))

    def record_gap(self, signer: Signer, boot_id: str, reason: str, detected_at: datetime) -> str:
        """Reserve a seq and sign a gap record covering every unaccounted seq. Store it, then commit()."""
        hole = self._snap.unaccounted
        if not hole:
            raise ChainStateError("nothing to declare: every reserved seq is committed")
        gap_id = str(uuid.uuid4())
        link = self._reserve(gap_id)
        gap = GapRecord(gap_id, self._snap.device_id, boot_id, signer.kid, link, (hole.start, hole.stop - 1),
                        reason, detected_at)
        return sign_event(gap.document(), signer)


def _encode(snap: Snapshot) -> bytes:
    fields = asdict(snap)
    fields[_RESERVED_KEY] = fields.pop("reserved")
    return (json.dumps({"format": STATE_FORMAT, **fields}, indent=2) + "\n").encode("utf-8")


@dataclass(frozen=True, slots=True)
class GapRecord:
    """An `etle.gap/1` record: seqs first..last will never arrive, and why. It takes its own seq."""

    gap_id: str
    device_id: str
    boot_id: str
    kid: str
    link: Link
    missing: tuple[int, int]
    reason: str
    detected_at: datetime

    def document(self) -> dict[str, Any]:
        if self.detected_at.tzinfo is None:
            raise ValueError("detected_at must carry a UTC offset (RFC 3339)")
        return {
            "schema": GAP_SCHEMA,
            "event_id": self.gap_id,
            "device": {"id": self.device_id, "boot_id": self.boot_id, "seq": self.link.seq, "kid": self.kid},
            "prev_hash": self.link.prev_hash,
            "missing": {"first": self.missing[0], "last": self.missing[1]},
            "reason": self.reason,
            "detected_at": self.detected_at.isoformat(timespec="milliseconds"),
        }


def gap_path(root: Path, seq: int) -> Path:
    return root / f"gap-{seq:012d}.jws"


def write_gap(root: Path, compact_jws: str) -> Path:
    """Store a gap record beside the evidence folders, durably, under its seq."""
    path = gap_path(root, int(unverified_payload(compact_jws)["device"]["seq"]))
    try:
        root.mkdir(parents=True, exist_ok=True)
        atomic_write(path, compact_jws.encode("ascii") + b"\n")
    except OSError as exc:
        raise EvidenceError(
            f"cannot store gap record {path}: {exc.strerror}; it stays reserved, and the next recover() "
            "declares the hole again once there is room"
        ) from exc
    return path


def stored_record(root: Path, reserved: Reservation) -> str | None:
    """The JWS of the reserved record if a crash hit after it was stored, else None."""
    for candidate in (root / reserved.record_id / "event.jws", gap_path(root, reserved.seq)):
        try:
            text = candidate.read_text(encoding="ascii").strip()
            payload = unverified_payload(text)
        except (OSError, ValueError, MalformedJwsError):
            continue
        if payload.get("event_id") == reserved.record_id and payload.get("device", {}).get("seq") == reserved.seq:
            return text
    return None


def recover(
    state: ChainState, root: Path, signer: Signer, boot_id: str, now: datetime,
    reason: str = "process ended before the record was stored",
) -> Path | None:
    """At startup: finish an interrupted commit, or make the hole an explicit, stored, committed gap.

    Returns the gap file written, if any. Idempotent: a crash inside recover() is recovered next time.
    """
    reserved = state.reserved
    if reserved is not None:
        found = stored_record(root, reserved)
        if found is not None:
            state.commit(found)
    if not state.snapshot.unaccounted:
        return None
    gap = state.record_gap(signer, boot_id, reason=reason, detected_at=now)
    path = write_gap(root, gap)
    state.commit(gap)
    return path
