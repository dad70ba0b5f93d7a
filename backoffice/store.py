"""The back office's own durable store: verified records as files, indexed in a database.

Layout under the data folder (the box's evidence layout, so `etle-edge verify` reads it as is):
    records/<device_id>/<event_id>/event.jws, event.json, media...
    records/<device_id>/gap-<seq>.jws
    blobs/<sha256[:2]>/<sha256>    media as they arrive, addressed by their hash (backoffice.pending)
    staging/                       records being verified (a crash leaves them here, ignored)
    backoffice.sqlite              the tables, unless a PostgreSQL URL is given (backoffice.database)

With several workers the data folder is shared (one file system, e.g. NFS, mounted by all). The
index row of a record is inserted first, in a transaction that holds it (the constraints on
event_id and on device + seq), then the verified folder is moved into records/ and fsynced, then
the transaction commits; the receipt `stored` goes out only after that commit. A second worker
storing the same record waits on that row and then finds it taken: a record is stored once.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Executable, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from backoffice import schema as t
from backoffice.database import DatabaseError, engine_for, sqlite_url
from edge.errors import EtleError
from edge.ledger.signing import event_hash
from edge.ledger.store import fsync_dir


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
    violation: str | None = None  # what the officers' queue filters on
    plate: str | None = None
    detected_at: str | None = None
    purged_at: float | None = None  # retention purged it (backoffice.retention): a tombstone holds its place


@dataclass(frozen=True, slots=True)
class Review:
    """An officer's decision on a record: one line of the append-only audit log. The latest one
    stands, and the history shows who decided what, when, why, and from which state."""

    event_id: str
    decision: str  # approved | rejected
    officer: str
    reason: str
    at: float
    from_state: str = "pending"


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


COLUMNS = tuple(t.records.c[name] for name in StoredRecord.__slots__)
_REVIEW_COLUMNS = tuple(t.reviews.c[name] for name in Review.__slots__)


def record_of(row: Any) -> StoredRecord:
    return StoredRecord(*row)


class Store:
    def __init__(self, root: Path, engine: Engine) -> None:
        self.root = root
        self.engine = engine

    @classmethod
    def open(cls, root: Path, database: str | None = None) -> Store:
        """The store in `root`; its tables in `database` (an SQLAlchemy URL) or SQLite in `root`."""
        try:
            for folder in (root, root / "records", root / "staging", root / "blobs"):
                folder.mkdir(parents=True, exist_ok=True)
            return cls(root, engine_for(database or sqlite_url(root)))
        except (OSError, DatabaseError) as exc:
            raise StoreError(f"cannot open the back office store in {root}: {exc}") from exc

    def close(self) -> None:
        """Nothing to release: the engine's pool is shared by every Store of this process."""

    def staging(self) -> Path:
        folder = self.root / "staging" / str(uuid.uuid4())
        folder.mkdir()
        return folder

    def device_dir(self, device_id: str) -> Path:
        return self.root / "records" / device_id

    def read(self, statement: Executable) -> list[Any]:
        """The rows of one query; a database failure is a StoreError (the other stores' tables too)."""
        try:
            with self.engine.connect() as db:
                return list(db.execute(statement))
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read the back office store: {exc}") from exc

    def write(self, *statements: Executable) -> list[int]:
        """The statements in one transaction; the rows each touched."""
        try:
            with self.engine.begin() as db:
                return [int(db.execute(s).rowcount) for s in statements]
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot write to the back office store: {exc}") from exc

    def get(self, event_id: str) -> StoredRecord | None:
        rows = self.read(select(*COLUMNS).where(t.records.c.event_id == event_id))
        return record_of(rows[0]) if rows else None

    def holder_of(self, device_id: str, seq: int) -> str | None:
        rows = self.read(select(t.records.c.event_id).where(t.records.c.device_id == device_id,
                                                            t.records.c.seq == seq))
        return str(rows[0][0]) if rows else None

    def commit(self, staged: Path, record: StoredRecord) -> bool:
        """Store a verified record: False when its event_id or its device + seq is already stored."""
        target = self.root / record.path
        try:
            with self.engine.begin() as db:
                db.execute(insert(t.records).values(
                    {c.name: getattr(record, c.name) for c in COLUMNS} | {"duplicates": 0}))
                self._place(staged, target)
                _forget_pending(db, record.event_id)
        except IntegrityError:
            return False  # another worker stored it (or holds its seq): the caller decides the answer
        except (OSError, SQLAlchemyError) as exc:
            raise StoreError(f"cannot store {record.event_id}: {exc}") from exc
        return True

    @staticmethod
    def _place(staged: Path, target: Path) -> None:
        """Under the record's uncommitted row: nobody else may write this path now."""
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():  # files of an earlier attempt whose row was never committed
            shutil.rmtree(target) if target.is_dir() else target.unlink()
        if staged.is_dir():
            fsync_dir(staged)
        staged.rename(target)
        fsync_dir(target.parent)

    def count_duplicate(self, event_id: str) -> None:
        self.write(update(t.records).where(t.records.c.event_id == event_id)
                    .values(duplicates=t.records.c.duplicates + 1))

    def reject(self, event_id: str, site: str, camera: str, reason: str) -> None:
        self.write(insert(t.rejections).values(event_id=event_id, site=site, camera=camera, reason=reason,
                                                received_at=time.time()))
        self.write(t.pending_events.delete().where(t.pending_events.c.event_id == event_id))

    def put_status(self, site: str, camera: str, document: str) -> None:
        values = {"site": site, "camera": camera, "document": document, "received_at": time.time()}
        try:
            with self.engine.begin() as db:
                done = db.execute(update(t.statuses).where(t.statuses.c.site == site, t.statuses.c.camera == camera)
                                  .values(values))
                if done.rowcount == 0:
                    db.execute(insert(t.statuses).values(values))
        except IntegrityError:
            self.put_status(site, camera, document)  # another worker inserted it first: now it updates
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot write to the back office store: {exc}") from exc

    def add_review(self, review: Review) -> Review:
        """Append a decision; its `from_state` is the standing decision, read in the same transaction."""
        try:
            with self.engine.begin() as db:
                before = db.execute(select(t.reviews.c.decision).where(t.reviews.c.event_id == review.event_id)
                                    .order_by(t.reviews.c.id.desc()).limit(1)).scalar()
                appended = Review(review.event_id, review.decision, review.officer, review.reason, review.at,
                                  str(before or "pending"))
                db.execute(insert(t.reviews).values({c.name: getattr(appended, c.name) for c in _REVIEW_COLUMNS}))
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot write to the back office store: {exc}") from exc
        return appended

    def reviews(self, event_id: str | None = None, limit: int | None = None) -> list[Review]:
        """The audit log (newest last), of one record or of all."""
        query = select(*_REVIEW_COLUMNS).order_by(t.reviews.c.id)
        if event_id is not None:
            query = query.where(t.reviews.c.event_id == event_id)
        if limit is not None:
            query = query.order_by(None).order_by(t.reviews.c.id.desc()).limit(limit)
        rows = [Review(*row) for row in self.read(query)]
        return rows if limit is None else rows[::-1]

    def decisions(self) -> dict[str, str]:
        """The standing decision per reviewed record (the latest)."""
        rows = self.read(select(t.reviews.c.event_id, t.reviews.c.decision).order_by(t.reviews.c.id))
        return {str(event_id): str(decision) for event_id, decision in rows}

    def records(self, device_id: str | None = None) -> list[StoredRecord]:
        query = select(*COLUMNS).order_by(t.records.c.device_id, t.records.c.seq)
        if device_id:
            query = query.where(t.records.c.device_id == device_id)
        return [record_of(row) for row in self.read(query)]

    def rejections(self) -> list[tuple[str, str, str, str]]:
        r = t.rejections.c
        return [(str(a), str(b), str(c), str(d)) for a, b, c, d in
                self.read(select(r.event_id, r.site, r.camera, r.reason).order_by(r.id))]

    def statuses(self) -> list[tuple[str, str, str]]:
        s = t.statuses.c
        return [(str(a), str(b), str(c)) for a, b, c in
                self.read(select(s.site, s.camera, s.document).order_by(s.site, s.camera))]

    def status_times(self) -> dict[tuple[str, str], float]:
        s = t.statuses.c
        return {(str(a), str(b)): float(c) for a, b, c in self.read(select(s.site, s.camera, s.received_at))}

    def devices(self) -> list[str]:
        return [str(r[0]) for r in self.read(select(t.records.c.device_id).distinct().order_by(t.records.c.device_id))]

    def chain(self, device_id: str) -> Chain:
        r = t.records.c
        rows = self.read(select(r.seq, r.lost_first, r.lost_last).where(r.device_id == device_id).order_by(r.seq))
        if not rows:
            return Chain(device_id, 0, 0, 0, 0, ())
        have = {int(seq) for seq, _, _ in rows}
        lost = {s for _, first, last in rows if first is not None and last is not None
                for s in range(int(first), int(last) + 1)}
        last_seq = max(have)
        missing = tuple(s for s in range(1, last_seq + 1) if s not in have and s not in lost)
        return Chain(device_id, min(have), last_seq, len(have), len(lost), missing)

    def last_records(self) -> dict[str, tuple[str, str, float]]:
        """Per device: the site, camera and arrival time of its newest stored record."""
        r = t.records.c
        newest = select(r.device_id, func.max(r.seq).label("seq")).group_by(r.device_id).subquery()
        rows = self.read(select(r.device_id, r.site, r.camera, r.received_at)
                          .join(newest, (r.device_id == newest.c.device_id) & (r.seq == newest.c.seq)))
        return {str(d): (str(s), str(c), float(at)) for d, s, c, at in rows}


def _forget_pending(db: Connection, event_id: str) -> None:
    db.execute(t.pending_events.delete().where(t.pending_events.c.event_id == event_id))
    db.execute(t.pending_media.delete().where(t.pending_media.c.event_id == event_id))
