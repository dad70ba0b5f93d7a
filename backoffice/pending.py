"""The pieces of records still arriving, shared by every ingest worker through the store.

Media and the event of one record may reach different workers (one MQTT shared subscription), so
no worker keeps them in memory: a medium's bytes go to `blobs/<sha256[:2]>/<sha256>` (written to a
temporary name, fsynced, renamed: the same bytes always land on the same name, so two workers
writing one blob cannot disagree), its name and hash to `pending_media`; an event goes to
`pending_events`. A worker acknowledges a message to the broker only after that commit, so a worker
killed before it loses nothing (the broker redelivers), and one killed after it leaves a complete
record that `complete()` hands to the next sweep of any worker (an uncommitted record is redone).

Why the media are files addressed by sha256 and not rows: ~1 MB a record at a city's rate would
make the database mostly media (slow backups and vacuum), while a folder (an NFS share, or the same
keys in an object store) grows by itself, deduplicates resends for free, and lets the stored
record folder hard-link its media instead of copying them.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

from sqlalchemy import Executable, Table, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from backoffice import schema as t
from backoffice.store import Store, StoreError
from edge.ledger.store import fsync_dir


def blob_path(root: Path, sha256: str) -> Path:
    return root / "blobs" / sha256[:2] / sha256


def write_blob(root: Path, data: bytes) -> str:
    """The bytes, durably under their hash (a no-op when they are there already); their hash."""
    digest = hashlib.sha256(data).hexdigest()
    path = blob_path(root, digest)
    if path.exists():
        return digest
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / f".{digest}.{uuid.uuid4().hex}.part"
    with open(temp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)
    fsync_dir(path.parent)
    return digest


def place_blob(root: Path, sha256: str, target: Path) -> None:
    """The blob as a file of a record folder: a hard link (same file system), else a copy."""
    source = blob_path(root, sha256)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


class Pending:
    """The shared waiting room of one store."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def _upsert(self, table: Table, key: dict[str, str], values: dict[str, object]) -> None:
        try:
            with self._store.engine.begin() as db:
                where = [table.c[k] == v for k, v in key.items()]
                if db.execute(update(table).where(*where).values(values)).rowcount == 0:
                    db.execute(insert(table).values({**key, **values}))
        except IntegrityError:
            self._upsert(table, key, values)  # another worker inserted it first: now it updates
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot keep a pending piece in the back office store: {exc}") from exc

    def add_media(self, event_id: str, name: str, data: bytes, now: float) -> None:
        try:
            digest = write_blob(self._store.root, data)
        except OSError as exc:
            raise StoreError(f"cannot write medium {name} of {event_id}: {exc}") from exc
        self._upsert(t.pending_media, {"event_id": event_id, "name": name},
                     {"sha256": digest, "bytes": len(data), "received_at": now})

    def add_event(self, event_id: str, site: str, camera: str, jws: str, now: float) -> None:
        self._upsert(t.pending_events, {"event_id": event_id},
                     {"site": site, "camera": camera, "jws": jws, "received_at": now})

    def event(self, event_id: str) -> tuple[str, str, str, float] | None:
        """(site, camera, jws, received_at) of a waiting event."""
        e = t.pending_events.c
        rows = self._store.read(select(e.site, e.camera, e.jws, e.received_at).where(e.event_id == event_id))
        return (str(rows[0][0]), str(rows[0][1]), str(rows[0][2]), float(rows[0][3])) if rows else None

    def media(self, event_id: str) -> dict[str, str]:
        """name → sha256 of the media that arrived for an event."""
        m = t.pending_media.c
        return {str(n): str(s) for n, s in self._store.read(select(m.name, m.sha256).where(m.event_id == event_id))}

    def waiting_events(self) -> list[tuple[str, float]]:
        """(event_id, received_at) of every waiting event, oldest first."""
        e = t.pending_events.c
        return [(str(i), float(at)) for i, at in
                self._store.read(select(e.event_id, e.received_at).order_by(e.received_at))]

    def drop_event(self, event_id: str) -> None:
        self._delete(t.pending_events.delete().where(t.pending_events.c.event_id == event_id))

    def drop_media_older_than(self, cutoff: float) -> int:
        """Media whose event never came (the box resends them with it); the blobs stay, by hash."""
        waiting = select(t.pending_events.c.event_id)
        return self._delete(t.pending_media.delete().where(t.pending_media.c.received_at < cutoff,
                                                           t.pending_media.c.event_id.not_in(waiting)))

    def _delete(self, statement: Executable) -> int:
        return self._store.write(statement)[0]

    def count(self) -> tuple[int, int]:
        """(waiting events, waiting media)."""
        return (len(self._store.read(select(t.pending_events.c.event_id))),
                len(self._store.read(select(t.pending_media.c.name))))
