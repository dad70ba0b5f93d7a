"""The durable outbox: which signed records still owe the box a receipt.

A row points at a record the evidence store already fsynced and renamed into place, so the row
is committed after its files, never before. States:

    pending ──publish──► sent ──receipt stored──► receipted ──retention──► (tombstone; files, then row, deleted)
       ▲                  │ └──receipt rejected──► rejected   (kept and reported)
       └── resend_after ──┘    files gone ────────► missing    (kept and reported)

Only a `stored` receipt leads to deletion; a PUBACK changes nothing here. SQLite runs in WAL mode
with synchronous=FULL, so a SIGKILL (or power loss) at any point leaves the last committed state;
the worst a crash costs is a resend, which the back office answers `stored` again.
Each thread opens its own Outbox (a sqlite3 connection belongs to the thread that made it).
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, cast

from edge.contract.receipts import Receipt
from edge.delivery.records import Entry, RecordKind
from edge.errors import EtleError
from edge.ledger.store import fsync_dir
from edge.ledger.tombstone import Purge, Undertaker, tombstone_path
from edge.ledger.verify import EVENT_JWS

log = logging.getLogger(__name__)
State = Literal["pending", "sent", "receipted", "rejected", "missing"]
OUTBOX_FILE = ".outbox.sqlite"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    event_id    TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('event', 'gap')),
    seq         INTEGER NOT NULL,
    path        TEXT NOT NULL UNIQUE,
    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
    state       TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'receipted', 'rejected', 'missing')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    enqueued_at REAL NOT NULL,
    sent_at     REAL,
    settled_at  REAL,
    reason      TEXT
);
CREATE INDEX IF NOT EXISTS records_by_state ON records (state, seq);
"""
_COLUMNS = "event_id, kind, seq, path, bytes, state, attempts, enqueued_at, sent_at, reason"


def _record_jws(target: Path) -> str:
    """The compact JWS of a stored record: an event folder's event.jws, or a gap file."""
    return (target / EVENT_JWS if target.is_dir() else target).read_text(encoding="ascii").strip()


def _needs_tombstone(root: Path, target: Path, seq: int) -> bool:
    """False for a record a killed purge already buried and began to delete: its tombstone is there
    and its JWS may be gone (rmtree takes files in no set order). Bury it again while its JWS is
    there (the same tombstone, and the audit line a kill may have cut off)."""
    holds_jws = (target / EVENT_JWS).is_file() if target.is_dir() else target.is_file()
    return holds_jws or not tombstone_path(root, seq).exists()


class OutboxError(EtleError):
    """The outbox database cannot be used. Evidence is safe on disk: the next start re-queues every signed
    record still there (the back office deduplicates), so moving a corrupt outbox aside loses nothing."""


@dataclass(frozen=True, slots=True)
class Row:
    entry: Entry
    state: State
    attempts: int
    enqueued_at: float
    sent_at: float | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class OutboxStats:
    depth: int  # records still owed a receipt (pending + sent)
    oldest_age_s: float | None  # age of the oldest of those
    held_bytes: int  # every record whose files are still on disk because of the outbox
    rejected: int
    missing: int
    receipted_held: int  # receipted, waiting out the retention


def _row(values: Sequence[object]) -> Row:
    event_id, kind, seq, path, size, state, attempts, enqueued_at, sent_at, reason = values
    entry = Entry(str(event_id), cast(RecordKind, kind), int(cast(int, seq)), str(path), int(cast(int, size)))
    return Row(entry, cast(State, state), int(cast(int, attempts)), float(cast(float, enqueued_at)),
               None if sent_at is None else float(cast(float, sent_at)), None if reason is None else str(reason))


class Outbox:
    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self._path = path
        self._db = connection

    @classmethod
    def open(cls, path: Path) -> Outbox:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            created = not path.exists()
            # isolation_level=None: no implicit transactions; each write below says BEGIN IMMEDIATE itself.
            db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"cannot open outbox {path}: {exc}; check the folder and free space") from exc
        try:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode != "wal":
                raise OutboxError(f"outbox {path}: SQLite refused WAL mode ({mode}); put it on a local disk")
            db.execute("PRAGMA synchronous=FULL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise OutboxError(f"outbox {path} has schema version {version}; this software knows "
                                  f"{SCHEMA_VERSION}. Move it aside to start a new one (nothing is lost)")
            db.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version={SCHEMA_VERSION};COMMIT;")
        except sqlite3.DatabaseError as exc:
            db.close()
            raise OutboxError(f"outbox {path} is unusable ({exc}). Move it aside (with its -wal and -shm "
                              "files); the next start re-queues every signed record still on disk") from exc
        except OutboxError:
            db.close()
            raise
        if created:
            fsync_dir(path.parent)  # the new file's directory entry is part of its durability
        return cls(path, db)

    @property
    def path(self) -> Path:
        return self._path

    def close(self) -> None:
        self._db.close()

    def _write(self, statements: Iterable[tuple[str, Sequence[object]]]) -> list[int]:
        """Run the statements in one durable transaction; their row counts."""
        counts = []
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in statements:
                    counts.append(self._db.execute(sql, params).rowcount)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            raise OutboxError(f"outbox {self._path}: write failed ({exc}); the change will be retried") from exc
        return counts

    def _read(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise OutboxError(f"outbox {self._path}: read failed ({exc})") from exc

    def add(self, entries: Iterable[Entry], now: float) -> int:
        """Queue records whose files are already durable; records queued before are left as they are."""
        sql = ("INSERT OR IGNORE INTO records (event_id, kind, seq, path, bytes, state, enqueued_at) "
               "VALUES (?, ?, ?, ?, ?, 'pending', ?)")
        return sum(self._write((sql, (e.event_id, e.kind, e.seq, e.path, e.bytes, now)) for e in entries))

    def known_paths(self) -> set[str]:
        return {str(path) for (path,) in self._read("SELECT path FROM records")}

    def get(self, event_id: str) -> Row | None:
        rows = self._read(f"SELECT {_COLUMNS} FROM records WHERE event_id = ?", (event_id,))
        return _row(rows[0]) if rows else None

    def rows(self, state: State | None = None) -> list[Row]:
        where, params = ("WHERE state = ?", (state,)) if state else ("", ())
        return [_row(r) for r in self._read(f"SELECT {_COLUMNS} FROM records {where} ORDER BY seq", params)]

    def due(self, now: float, resend_after_s: float, limit: int) -> list[Row]:
        """Records to publish now, oldest seq first: never sent, or sent without a receipt for too long.

        A sent_at in the future means the wall clock went back; such a record is resent rather than
        left waiting until the clock catches up."""
        sql = (f"SELECT {_COLUMNS} FROM records WHERE state = 'pending' OR (state = 'sent' AND "
               "(sent_at < ? OR sent_at > ?)) ORDER BY seq LIMIT ?")
        return [_row(r) for r in self._read(sql, (now - resend_after_s, now + resend_after_s, limit))]

    def in_flight(self, now: float, resend_after_s: float) -> int:
        """Records sent recently enough that their receipt may still come."""
        sql = "SELECT COUNT(*) FROM records WHERE state = 'sent' AND sent_at BETWEEN ? AND ?"
        return int(cast(int, self._read(sql, (now - resend_after_s, now + resend_after_s))[0][0]))

    def mark_sent(self, event_ids: Sequence[str], now: float) -> None:
        sql = ("UPDATE records SET state = 'sent', sent_at = ?, attempts = attempts + 1 "
               "WHERE event_id = ? AND state IN ('pending', 'sent')")
        self._write((sql, (now, event_id)) for event_id in event_ids)

    def resend_all(self) -> int:
        """Make every sent record pending again: the broker lost the session, so what it held is gone."""
        return self._write([("UPDATE records SET state = 'pending' WHERE state = 'sent'", ())])[0]

    def settle(self, receipts: Sequence[Receipt], now: float) -> list[Receipt]:
        """Apply receipts; the ones that matched a record still owed one (others are stale or foreign).

        `stored` also settles a record held as rejected or missing: the back office has it after all."""
        stored = ("UPDATE records SET state = 'receipted', settled_at = ?, reason = ? WHERE event_id = ? "
                  "AND state IN ('pending', 'sent', 'rejected', 'missing')")
        rejected = ("UPDATE records SET state = 'rejected', settled_at = ?, reason = ? WHERE event_id = ? "
                    "AND state IN ('pending', 'sent')")
        counts = self._write((stored if r.status == "stored" else rejected, (now, r.reason, r.event_id))
                             for r in receipts)
        return [r for r, count in zip(receipts, counts, strict=True) if count]

    def mark_missing(self, event_id: str, reason: str, now: float) -> None:
        sql = "UPDATE records SET state = 'missing', settled_at = ?, reason = ? WHERE event_id = ?"
        self._write([(sql, (now, reason, event_id))])

    def purge(self, root: Path, now: float, retention_s: float, undertaker: Undertaker | None = None) -> int:
        """Delete receipted records older than the retention: their tombstone first (when an
        undertaker signs them: the chain must still verify without the record), their files, then
        their rows.

        The only deletion there is, and only for receipted rows. A crash between the steps leaves
        a tombstone beside the record (the same hash: verifiers accept it), a folder half deleted
        (its event.jws may be gone: the tombstone already there stands for it), or a row without
        files; the next purge finishes each."""
        sql = f"SELECT {_COLUMNS} FROM records WHERE state = 'receipted' AND settled_at <= ? ORDER BY seq"
        gone = []
        for row in (_row(r) for r in self._read(sql, (now - retention_s,))):
            target = root / row.entry.path
            try:
                if undertaker is not None and target.exists() and _needs_tombstone(root, target, row.entry.seq):
                    purge = Purge("receipted", "receipted by the back office; the box's retention has passed",
                                  retention_s, datetime.fromtimestamp(now, UTC))
                    undertaker.bury(root, _record_jws(target), purge)
                if target.is_dir():
                    shutil.rmtree(target)
                else:
                    target.unlink(missing_ok=True)
            except (OSError, EtleError, KeyError, TypeError) as exc:
                log.warning("%s not purged yet (kept, tried again at the next purge): %s", row.entry.event_id, exc)
                continue
            gone.append(row.entry.event_id)
        if gone:
            self._write(("DELETE FROM records WHERE event_id = ? AND state = 'receipted'", (e,)) for e in gone)
        return len(gone)

    def held_bytes(self) -> int:
        return int(cast(int, self._read("SELECT COALESCE(SUM(bytes), 0) FROM records")[0][0]))

    def stats(self, now: float) -> OutboxStats:
        counts = {str(state): (int(cast(int, n)), int(cast(int, size)), oldest) for state, n, size, oldest in
                  self._read("SELECT state, COUNT(*), SUM(bytes), MIN(enqueued_at) FROM records GROUP BY state")}
        owed = [counts[s] for s in ("pending", "sent") if s in counts]
        oldest = min((float(cast(float, o)) for _, _, o in owed), default=None)
        return OutboxStats(
            depth=sum(n for n, _, _ in owed),
            oldest_age_s=None if oldest is None else max(0.0, now - oldest),
            held_bytes=sum(size for _, size, _ in counts.values()),
            rejected=counts.get("rejected", (0, 0, None))[0],
            missing=counts.get("missing", (0, 0, None))[0],
            receipted_held=counts.get("receipted", (0, 0, None))[0],
        )

    def integrity(self) -> str:
        """PRAGMA integrity_check: "ok", or what SQLite found broken."""
        return "\n".join(str(r[0]) for r in self._read("PRAGMA integrity_check"))
