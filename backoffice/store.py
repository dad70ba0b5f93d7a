"""The back office's own durable store: verified records as files, indexed in SQLite.

Layout under the data folder (the box's evidence layout, so `etle-edge verify` reads it as is):
    records/<device_id>/<event_id>/event.jws, event.json, media...
    records/<device_id>/gap-<seq>.jws
    staging/                       records being verified (a crash leaves them here, ignored)
    backoffice.sqlite              one row per stored record, deduplicated by event_id

A record is renamed into records/ and fsynced before its row is committed, and the receipt
`stored` goes out only after that commit: a receipt means the record survives a crash here.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from edge.errors import EtleError
from edge.ledger.signing import event_hash
from edge.ledger.store import fsync_dir

DB_FILE = "backoffice.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    event_id      TEXT PRIMARY KEY,
    device_id     TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    site          TEXT NOT NULL,
    camera        TEXT NOT NULL,
    jws_sha256    TEXT NOT NULL,
    path          TEXT NOT NULL,
    summary       TEXT NOT NULL,
    received_at   REAL NOT NULL,
    duplicates    INTEGER NOT NULL DEFAULT 0,
    lost_first    INTEGER,
    lost_last     INTEGER,
    UNIQUE (device_id, seq)
);
CREATE TABLE IF NOT EXISTS rejections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL,
    site        TEXT NOT NULL,
    camera      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS reviews (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL REFERENCES records (event_id),
    decision    TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    officer     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS statuses (
    site        TEXT NOT NULL,
    camera      TEXT NOT NULL,
    document    TEXT NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY (site, camera)
);
"""


class StoreError(EtleError):
    """The back office store cannot be written; no receipt is sent, so the box keeps the record."""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    event_id: str
    device_id: str
    seq: int
    kind: str
    site: str
    camera: str
    jws_sha256: str
    path: str
    summary: str
    received_at: float
    duplicates: int
    lost_first: int | None = None  # a gap record: the seqs it declares lost
    lost_last: int | None = None


@dataclass(frozen=True, slots=True)
class Review:
    """An officer's decision on a record. Appended, never changed: the latest one stands, and the
    history shows who decided what, when, and why."""

    event_id: str
    decision: str  # approved | rejected
    officer: str
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class Chain:
    """What the stored seqs of one device say about its chain."""

    device_id: str
    first: int
    last: int
    count: int
    declared_lost: int  # seqs that signed gap records declare lost
    missing: tuple[int, ...]  # seqs in 1..last neither received nor declared lost by a gap record

    @property
    def continuous(self) -> bool:
        return not self.missing


def jws_digest(jws: str) -> str:
    """The record's hash as the chain states it (`prev_hash`), without the "sha256:" prefix."""
    return event_hash(jws).removeprefix("sha256:")


_COLUMNS = ("event_id, device_id, seq, kind, site, camera, jws_sha256, path, summary, received_at, duplicates, "
            "lost_first, lost_last")


class Store:
    def __init__(self, root: Path, db: sqlite3.Connection) -> None:
        self.root = root
        self._db = db

    @classmethod
    def open(cls, root: Path) -> Store:
        try:
            for folder in (root, root / "records", root / "staging"):
                folder.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(root / DB_FILE, timeout=30.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}COMMIT;")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the back office store in {root}: {exc}") from exc
        return cls(root, db)

    def close(self) -> None:
        self._db.close()

    def staging(self) -> Path:
        folder = self.root / "staging" / str(uuid.uuid4())
        folder.mkdir()
        return folder

    def device_dir(self, device_id: str) -> Path:
        return self.root / "records" / device_id

    def _one(self, sql: str, params: tuple[object, ...]) -> tuple[object, ...] | None:
        try:
            row: tuple[object, ...] | None = self._db.execute(sql, params).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read the back office store: {exc}") from exc
        return row

    def get(self, event_id: str) -> StoredRecord | None:
        row = self._one(f"SELECT {_COLUMNS} FROM records WHERE event_id = ?", (event_id,))
        return StoredRecord(*row) if row else None  # type: ignore[arg-type]

    def holder_of(self, device_id: str, seq: int) -> str | None:
        row = self._one("SELECT event_id FROM records WHERE device_id = ? AND seq = ?", (device_id, seq))
        return None if row is None else str(row[0])

    def commit(self, staged: Path, record: StoredRecord) -> StoredRecord:
        """Move a verified record from staging into records/, durably, then index it."""
        target = self.root / record.path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():  # files of an earlier attempt whose row was never committed
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            if staged.is_dir():
                fsync_dir(staged)
            staged.rename(target)
            fsync_dir(target.parent)
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(f"INSERT INTO records ({_COLUMNS}) VALUES ({', '.join('?' * 13)})", (
                record.event_id, record.device_id, record.seq, record.kind, record.site, record.camera,
                record.jws_sha256, record.path, record.summary, record.received_at, 0, record.lost_first,
                record.lost_last))
            self._db.execute("COMMIT")
        except (OSError, sqlite3.Error) as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise StoreError(f"cannot store {record.event_id}: {exc}") from exc
        return record

    def _note(self, sql: str, params: tuple[object, ...]) -> None:
        try:
            self._db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to the back office store: {exc}") from exc

    def count_duplicate(self, event_id: str) -> None:
        self._note("UPDATE records SET duplicates = duplicates + 1 WHERE event_id = ?", (event_id,))

    def reject(self, event_id: str, site: str, camera: str, reason: str) -> None:
        self._note("INSERT INTO rejections (event_id, site, camera, reason, received_at) VALUES (?,?,?,?,?)",
                   (event_id, site, camera, reason, time.time()))

    def put_status(self, site: str, camera: str, document: str) -> None:
        self._note("INSERT OR REPLACE INTO statuses (site, camera, document, received_at) VALUES (?,?,?,?)",
                   (site, camera, document, time.time()))

    def add_review(self, review: Review) -> None:
        self._note("INSERT INTO reviews (event_id, decision, officer, reason, at) VALUES (?,?,?,?,?)",
                   (review.event_id, review.decision, review.officer, review.reason, review.at))

    def reviews(self, event_id: str) -> list[Review]:
        rows = self._db.execute("SELECT event_id, decision, officer, reason, at FROM reviews WHERE event_id = ? "
                                "ORDER BY id", (event_id,)).fetchall()
        return [Review(*row) for row in rows]

    def decisions(self) -> dict[str, str]:
        """The standing decision per reviewed record (the latest)."""
        rows = self._db.execute("SELECT event_id, decision FROM reviews ORDER BY id").fetchall()
        return {str(event_id): str(decision) for event_id, decision in rows}

    def records(self, device_id: str | None = None) -> list[StoredRecord]:
        where, params = ("WHERE device_id = ?", (device_id,)) if device_id else ("", ())
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM records {where} ORDER BY device_id, seq", params)
        return [StoredRecord(*row) for row in rows.fetchall()]

    def rejections(self) -> list[tuple[str, str, str, str]]:
        rows = self._db.execute("SELECT event_id, site, camera, reason FROM rejections ORDER BY id").fetchall()
        return [cast(tuple[str, str, str, str], tuple(r)) for r in rows]

    def statuses(self) -> list[tuple[str, str, str]]:
        rows = self._db.execute("SELECT site, camera, document FROM statuses ORDER BY site, camera").fetchall()
        return [cast(tuple[str, str, str], tuple(r)) for r in rows]

    def devices(self) -> list[str]:
        return [str(r[0]) for r in self._db.execute("SELECT DISTINCT device_id FROM records ORDER BY 1")]

    def chain(self, device_id: str) -> Chain:
        rows = self._db.execute("SELECT seq, lost_first, lost_last FROM records WHERE device_id = ? ORDER BY seq",
                                (device_id,)).fetchall()
        if not rows:
            return Chain(device_id, 0, 0, 0, 0, ())
        have = {int(seq) for seq, _, _ in rows}
        lost = {s for _, first, last in rows if first is not None and last is not None for s in range(first, last + 1)}
        last_seq = max(have)
        missing = tuple(s for s in range(1, last_seq + 1) if s not in have and s not in lost)
        return Chain(device_id, min(have), last_seq, len(have), len(lost), missing)
