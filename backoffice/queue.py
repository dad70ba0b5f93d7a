"""The officers' queue: stored violations filtered by site, camera, kind, date, status and plate,
with the standing decision of each, a page at a time (newest first)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from backoffice import schema as t
from backoffice.store import COLUMNS, Store, StoredRecord, StoreError, record_of
from edge.errors import EtleError

STATUSES = ("pending", "approved", "rejected", "all")
PAGE_SIZE = 25
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PLATE = re.compile(r"^[A-Z0-9]{0,12}$")


class FilterError(EtleError):
    """A filter of the queue is malformed: the message names it and its form."""


@dataclass(frozen=True, slots=True)
class QueueFilter:
    site: str = ""
    camera: str = ""
    kind: str = ""
    date: str = ""  # YYYY-MM-DD, the local date of the act
    status: str = "pending"
    plate: str = ""  # any part of the plate, letters and digits
    page: int = 1

    @classmethod
    def parse(cls, params: dict[str, str]) -> QueueFilter:
        values = {k: params.get(k, "").strip() for k in ("site", "camera", "kind", "date", "status", "plate")}
        values["plate"] = values["plate"].replace(" ", "").upper()
        values["status"] = values["status"] or "pending"
        if values["status"] not in STATUSES:
            raise FilterError(f"status must be one of {', '.join(STATUSES)}")
        if values["date"] and not _DATE.match(values["date"]):
            raise FilterError("date must be YYYY-MM-DD")
        if not _PLATE.match(values["plate"]):
            raise FilterError("plate: letters and digits only, e.g. B1234 or DD1234AB")
        page = params.get("page", "1") or "1"
        if not page.isdigit() or int(page) < 1:
            raise FilterError("page must be a whole number from 1")
        return cls(**values, page=int(page))

    def query(self, **changes: Any) -> str:
        """The URL query of this filter with some fields changed (for paging links)."""
        fields = {name: getattr(self, name) for name in self.__slots__} | changes
        return urlencode({k: v for k, v in fields.items() if v not in ("", None)})


@dataclass(frozen=True, slots=True)
class QueuePage:
    rows: list[tuple[StoredRecord, str]]  # the record and its standing decision
    total: int
    counts: dict[str, int]  # per status, over the other filters
    page_size: int = PAGE_SIZE


def _latest() -> Any:
    r = t.reviews.c
    newest = select(func.max(r.id).label("id")).group_by(r.event_id).subquery()
    return select(r.event_id, r.decision).join(newest, r.id == newest.c.id).subquery()


def read_queue(store: Store, f: QueueFilter, page_size: int = PAGE_SIZE) -> QueuePage:
    rc, latest = t.records.c, _latest()
    state = func.coalesce(latest.c.decision, "pending")
    where = [rc.kind == "event", rc.purged_at.is_(None)]
    for column, value in ((rc.site, f.site), (rc.camera, f.camera), (rc.violation, f.kind)):
        if value:
            where.append(column == value)
    if f.date:
        where.append(rc.detected_at.like(f"{f.date}%"))
    if f.plate:
        where.append(rc.plate.like(f"%{f.plate}%"))
    base = select(*COLUMNS, state.label("state")).outerjoin(latest, latest.c.event_id == rc.event_id).where(*where)
    listed = base if f.status == "all" else base.where(state == f.status)
    try:
        with store.engine.connect() as db:
            total = int(db.execute(select(func.count()).select_from(listed.subquery())).scalar_one())
            rows = db.execute(listed.order_by(rc.detected_at.desc(), rc.event_id)
                              .limit(page_size).offset((f.page - 1) * page_size)).all()
            by_state = db.execute(select(state, func.count()).select_from(t.records)
                                  .outerjoin(latest, latest.c.event_id == rc.event_id).where(*where)
                                  .group_by(state)).all()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the queue: {exc}") from exc
    counts = {str(s): int(n) for s, n in by_state}
    return QueuePage([(record_of(row[:-1]), str(row[-1])) for row in rows], total, counts, page_size)


def filter_choices(store: Store) -> dict[str, list[str]]:
    """The values the filters can take (sites, cameras, kinds) as stored."""
    rc = t.records.c
    out = {}
    with store.engine.connect() as db:
        for name, column in (("site", rc.site), ("camera", rc.camera), ("kind", rc.violation)):
            out[name] = [str(v) for (v,) in db.execute(select(column).where(rc.kind == "event").distinct()
                                                        .order_by(column)) if v]
    return out
