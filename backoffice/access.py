"""Opening originals, in the database: the append-only access log, officers' grants, and the
requests for originals still on their box.

A grant is one officer's leave to see one file of one record for `grant_s` (default 10 min), made
only with a written reason; its making is a line of the access log (who, when, which record and
file, why). A fetch is a request for a withheld original that the process holding the MQTT
connection (backoffice.receiver, backoffice.worker) publishes to the box and files when answered.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Executable, insert, select, update

from backoffice import schema as t
from backoffice.store import Store

OPEN, FINAL = ("requested", "sent"), ("arrived", "unavailable", "refused")


@dataclass(frozen=True, slots=True)
class Access:
    """One line of the access log: an original opened, requested, refused or filed; a purge."""

    at: float
    officer: str
    action: str
    event_id: str
    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class Grant:
    officer: str
    event_id: str
    name: str
    reason: str
    granted_at: float
    expires_at: float


@dataclass(frozen=True, slots=True)
class Fetch:
    request_id: str
    event_id: str
    name: str
    requested_by: str
    reason: str
    requested_at: float
    sent_at: float | None
    status: str  # requested | sent | arrived | unavailable | refused
    detail: str | None


_ACCESS = tuple(t.access_log.c[n] for n in Access.__slots__)
_GRANT = tuple(t.original_grants.c[n] for n in Grant.__slots__)
_FETCH = tuple(t.original_fetches.c[n] for n in Fetch.__slots__)


class Originals:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _write(self, *statements: Executable) -> int:
        """In one transaction; the rows the first statement touched."""
        counts = self._store.write(*statements)
        return counts[0] if counts else 0

    def grant(self, access: Access, valid_s: float) -> Grant:
        """Leave to see one file for `valid_s`, and its line in the access log, in one transaction."""
        granted = Grant(access.officer, access.event_id, access.name, access.reason, access.at, access.at + valid_s)
        self._write(insert(t.original_grants).values({c.name: getattr(granted, c.name) for c in _GRANT}),
                    log_line(access))
        return granted

    def granted(self, officer: str, event_id: str, name: str, now: float) -> Grant | None:
        g = t.original_grants.c
        rows = self._store.read(select(*_GRANT).where(g.officer == officer, g.event_id == event_id, g.name == name,
                                                g.granted_at <= now, g.expires_at > now)
                          .order_by(g.expires_at.desc()).limit(1))
        return Grant(*rows[0]) if rows else None

    def log(self, access: Access) -> None:
        self._write(log_line(access))

    def access_log(self, limit: int = 500, event_id: str | None = None) -> list[Access]:
        """Newest last."""
        a = t.access_log.c
        query = select(*_ACCESS).order_by(a.id.desc()).limit(limit)
        if event_id is not None:
            query = query.where(a.event_id == event_id)
        return [Access(*row) for row in self._store.read(query)][::-1]

    def request(self, access: Access) -> Fetch:
        """Ask the box for a withheld original, unless a request for it is still open."""
        latest = self.fetch(access.event_id, access.name)
        if latest is not None and latest.status in OPEN:
            return latest
        fetch = Fetch(str(uuid.uuid4()), access.event_id, access.name, access.officer, access.reason, access.at,
                      None, "requested", None)
        self._write(insert(t.original_fetches).values({c.name: getattr(fetch, c.name) for c in _FETCH}),
                    log_line(Access(access.at, access.officer, "original_requested", access.event_id, access.name,
                                    access.reason)))
        return fetch

    def fetch(self, event_id: str, name: str) -> Fetch | None:
        """The latest request for this file."""
        f = t.original_fetches.c
        rows = self._store.read(select(*_FETCH).where(f.event_id == event_id, f.name == name)
                          .order_by(f.requested_at.desc()).limit(1))
        return Fetch(*rows[0]) if rows else None

    def unsent(self) -> list[Fetch]:
        f = t.original_fetches.c
        rows = self._store.read(select(*_FETCH).where(f.status == "requested", f.sent_at.is_(None))
                          .order_by(f.requested_at))
        return [Fetch(*row) for row in rows]

    def claim(self, request_id: str, now: float) -> bool:
        """Mark a request sent; False when another worker claimed it first (it publishes it)."""
        f = t.original_fetches.c
        return self._write(update(t.original_fetches).where(f.request_id == request_id, f.sent_at.is_(None))
                           .values(sent_at=now, status="sent")) == 1

    def unclaim(self, request_id: str) -> None:
        f = t.original_fetches.c
        self._write(update(t.original_fetches).where(f.request_id == request_id, f.status == "sent")
                    .values(sent_at=None, status="requested"))

    def open_for(self, event_id: str, name: str) -> Fetch | None:
        latest = self.fetch(event_id, name)
        return latest if latest is not None and latest.status in OPEN else None

    def finish(self, fetch: Fetch, status: str, detail: str, now: float) -> None:
        """The request's outcome, and its line in the access log."""
        f = t.original_fetches.c
        self._write(update(t.original_fetches).where(f.request_id == fetch.request_id)
                    .values(status=status, detail=detail, done_at=now),
                    log_line(Access(now, fetch.requested_by, f"original_{status}", fetch.event_id, fetch.name,
                                    detail)))


def log_line(access: Access) -> Executable:
    return insert(t.access_log).values({c.name: getattr(access, c.name) for c in _ACCESS})
