"""Retention in the back office (UU PDP 27/2022: personal data no longer than needed).

A record whose standing decision is `rejected` is purged `rejected_days` after that decision; an
approved record is kept (the letter and what follows it rest on it); a pending one is never
purged (nobody has looked at it yet). A purge, in this order:
1. when the back office has its key, a signed tombstone (edge.ledger.tombstone, the back office as
   issuer) is written where the record was, `records/<device>/tombstone-<seq>.jws`, so
   `etle-edge verify` still finds the purged record's hash in its place;
2. in one transaction: a tombstone row (event id, device, seq, prev_hash, hash, the sha256 of each
   file, when, why, under which retention), the record's row stripped of its personal content but
   keeping its seq and hash (the chain views count the seq as present), and an access-log line;
3. the record's files, the blobs no other record links, and the browser copy of its clip.
A crash after 2 leaves files that the next run deletes; running it again purges nothing twice.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Executable, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from backoffice import schema as t
from backoffice.access import Access, log_line
from backoffice.settings import RetentionSettings
from backoffice.store import COLUMNS, Store, StoredRecord, StoreError, record_of
from edge.ledger.chain import atomic_write
from edge.ledger.keys import Signer
from edge.ledger.signing import sign_event
from edge.ledger.tombstone import Purge, tombstone_document, tombstone_path
from edge.ledger.verify import EVENT_JWS

ISSUER = "backoffice"
DAY_S = 86400.0


@dataclass(frozen=True, slots=True)
class PurgeReport:
    purged: tuple[str, ...]  # event ids purged by this run
    tombstones_signed: int
    files_deleted: int  # record files, blobs and browser copies


def due(store: Store, retention: RetentionSettings, now: float) -> list[StoredRecord]:
    """Records whose standing decision is a rejection older than the retention, not yet purged."""
    r = t.reviews.c
    newest = select(func.max(r.id).label("id")).group_by(r.event_id).subquery()
    rejected = (select(r.event_id).join(newest, r.id == newest.c.id)
                .where(r.decision == "rejected", r.at <= now - retention.rejected_days * DAY_S))
    c = t.records.c
    return [record_of(row) for row in store.read(
        select(*COLUMNS).where(c.event_id.in_(rejected), c.purged_at.is_(None), c.kind == "event")
        .order_by(c.device_id, c.seq))]


def _ids(store: Store, query: Executable) -> list[str]:
    return [str(row[0]) for row in store.read(query)]


def purge(store: Store, retention: RetentionSettings, signer: Signer | None, now: float) -> PurgeReport:
    """Purge what is due; then finish the deletions an interrupted run left."""
    purged, signed = [], 0
    for record in due(store, retention, now):
        signed += _bury(store, record, Purge("rejected", "rejected by an officer; retention of rejected records",
                                             retention.rejected_days * DAY_S, datetime.fromtimestamp(now, UTC)),
                        signer)
        purged.append(record.event_id)
    # Blobs awaited by a record being received stay (read once for the run).
    waiting = set(_ids(store, select(t.pending_media.c.sha256).distinct()))
    buried = store.read(select(*COLUMNS).where(t.records.c.purged_at.is_not(None)))
    deleted = sum(_delete_files(store, record_of(row), waiting) for row in buried)
    return PurgeReport(tuple(purged), signed, deleted)


def _bury(store: Store, record: StoredRecord, purge_: Purge, signer: Signer | None) -> int:
    """Steps 1 and 2 for one record; 1 when a signed tombstone was written."""
    try:
        jws = (store.root / record.path / EVENT_JWS).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:  # nothing is deleted: the record stays, the run stops
        raise StoreError(f"cannot read {record.event_id} to purge it ({exc}); it is kept") from exc
    issuer = (ISSUER, signer.kid if signer is not None else "unsigned")
    document = tombstone_document(jws, purge_, issuer)
    signed = sign_event(document, signer) if signer is not None else None
    if signed is not None:
        try:
            atomic_write(tombstone_path(store.device_dir(record.device_id), record.seq),
                         signed.encode("ascii") + b"\n")
        except OSError as exc:
            raise StoreError(f"cannot write the tombstone of {record.event_id} ({exc}); it is kept") from exc
    gone = document["purged"]
    at = purge_.purged_at.timestamp()
    try:
        with store.engine.begin() as db:
            db.execute(insert(t.tombstones).values(
                event_id=record.event_id, device_id=record.device_id, seq=record.seq, prev_hash=gone["prev_hash"],
                record_hash=gone["record_hash"], files=json.dumps(gone["files"], sort_keys=True),
                status=purge_.status, reason=purge_.reason, retention_s=purge_.retention_s, purged_at=at, jws=signed))
            db.execute(update(t.records).where(t.records.c.event_id == record.event_id).values(
                plate=None, summary=f"purged: {purge_.status}", purged_at=at))
            db.execute(log_line(Access(at, "retention", "purge", record.event_id, "",
                                       f"{purge_.reason} ({purge_.retention_s / DAY_S:g} days); tombstone "
                                       f"{'signed' if signed else 'unsigned (no key)'}")))
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot purge {record.event_id}: {exc}") from exc
    return 1 if signed is not None else 0


def _delete_files(store: Store, record: StoredRecord, waiting: set[str]) -> int:
    """Step 3: the record's folder, the blobs only it linked (and no record being received awaits),
    the browser copy of its clip."""
    folder = store.root / record.path
    if not folder.is_dir():
        return 0
    hashes = _file_hashes(store, record.event_id)
    deleted = len([p for p in folder.iterdir() if p.is_file()])
    shutil.rmtree(folder)
    for sha in hashes:
        blob = store.root / "blobs" / sha[:2] / sha
        # A blob still hard-linked from another record's folder, or awaited by a record being
        # received, stays; a record folder holding a copy instead of a link does not need it.
        if blob.exists() and blob.stat().st_nlink == 1 and sha not in waiting:
            blob.unlink()
            deleted += 1
        derived = store.root / "derived" / f"{sha}.webm"
        if derived.exists():
            derived.unlink()
            deleted += 1
    return deleted


def _file_hashes(store: Store, event_id: str) -> set[str]:
    """The sha256 of each file the tombstone names (they name the blobs)."""
    rows = _ids(store, select(t.tombstones.c.files).where(t.tombstones.c.event_id == event_id))
    return {str(f["sha256"]) for f in json.loads(rows[0])} if rows else set()


def tombstones(store: Store) -> list[dict[str, object]]:
    """Every tombstone row, oldest purge first (for `show` and the tests)."""
    c = t.tombstones.c
    rows = store.read(select(c.event_id, c.device_id, c.seq, c.prev_hash, c.record_hash, c.files, c.status,
                             c.reason, c.retention_s, c.purged_at, c.jws).order_by(c.purged_at, c.seq))
    return [dict(row._mapping) for row in rows]
