"""Opening an original from the review app: an allowed role, a written reason, a short grant, an
audit line (UU PDP 27/2022: the redacted copies are what officers work from).

An officer whose role the settings allow (default supervisor and admin) sees, on a record's page,
one form per original; posting it with a reason of at least `min_reason` characters (and the
session's CSRF token, like every form) grants that officer that file for `grant_s` and appends the
opening to the access log, which a supervisor reads at /audit. An original the box withheld is
requested from it (backoffice.fetch); its page says so and shows it once it has arrived. Any other
role gets 403 and no link.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from backoffice.access import Access, Fetch, Originals
from backoffice.accounts import Session
from backoffice.privacy import protected, withheld
from backoffice.settings import OriginalsSettings
from backoffice.store import Store, StoredRecord
from backoffice.web import SignedIn, Where, checked_post, csrf_field, e, form_of, opened, page

RecordOf = Callable[[Store, str], StoredRecord]
EventOf = Callable[[Store, StoredRecord], dict[str, Any]]
REFRESH_S = 2  # the waiting page reloads itself until the box's answer is filed


def may_open(session: Session | None, settings: OriginalsSettings) -> bool:
    return session is not None and session.officer.role in settings.roles


def originals_section(event_id: str, event: dict[str, Any], session: Session | None,
                      settings: OriginalsSettings) -> str:
    """One form per original, for an allowed officer; nothing at all for anyone else."""
    originals = protected(event)
    if not originals or session is None or not may_open(session, settings):
        return ""
    kept = withheld(event)
    rows = "".join(
        f'<li><form class=original method=post action="/records/{e(event_id)}/originals/{e(name)}">'
        f"{csrf_field(session)}<b>{e(name)}</b> ({e(item.get('role'))}"
        f"{', kept on the box: requested from it' if name in kept else ''}) "
        f'<label>reason <input name=reason size=40 minlength={settings.min_reason} required></label> '
        f'<button name=open value="{e(name)}">open original</button></form></li>'
        for name, item in sorted(originals.items()))
    return (f"<h2>Originals</h2><p class=muted>Unredacted: each opening needs a reason (at least "
            f"{settings.min_reason} characters), is written to the audit log, and lasts "
            f"{settings.grant_s / 60:g} minutes.</p><ul id=originals>{rows}</ul>")


def _waiting(fetch: Fetch | None) -> str:
    if fetch is None:
        return "<p id=fetch class=bad>Not here, and not requested.</p>"
    if fetch.status in ("requested", "sent"):
        return (f"<p id=fetch>Requested from the box ({e(fetch.status)}); this page shows it once it arrives.</p>"
                f'<meta http-equiv=refresh content="{REFRESH_S}">')
    return f"<p id=fetch class=bad>The box could not send it ({e(fetch.status)}): {e(fetch.detail or '')}</p>"


def _shown(event_id: str, name: str, item: dict[str, Any]) -> str:
    src = f"/records/{e(event_id)}/originals/{e(name)}/file"
    if str(item.get("content_type", "")).startswith("video/"):
        return f'<p><a id=original href="{src}" download>{e(name)} (the original clip)</a></p>'
    return f'<figure><img id=original src="{src}" alt="{e(name)}"><figcaption>{e(name)}, original</figcaption></figure>'


def install_originals(app: FastAPI, where: Where, settings: OriginalsSettings, record_of: RecordOf,
                      event_of: EventOf) -> None:
    def allowed(session: Session, store: Store, event_id: str, name: str) -> tuple[StoredRecord, dict[str, Any]]:
        if not may_open(session, settings):
            raise HTTPException(403, f"originals are for {', '.join(settings.roles)}; you are a "
                                     f"{session.officer.role}: work from the redacted copies")
        record = record_of(store, event_id)
        item = protected(event_of(store, record)).get(name)
        if item is None or Path(name).name != name:
            raise HTTPException(404, f"{event_id} has no original {name}")
        return record, item

    def granted(session: Session, store: Store, event_id: str, name: str) -> tuple[Path, dict[str, Any]]:
        record, item = allowed(session, store, event_id, name)
        if Originals(store).granted(session.officer.username, event_id, name, time.time()) is None:
            raise HTTPException(403, f"no open grant for {name}: open it from the record's page, with a reason")
        return store.root / record.path / name, item

    @app.post("/records/{event_id}/originals/{name}")
    async def open_original(event_id: str, name: str, request: Request, session: SignedIn) -> Response:
        form = form_of(await request.body())
        checked_post(request, session, form)
        reason = " ".join(form.get("reason", "").split())
        with opened(where) as store:
            record, _ = allowed(session, store, event_id, name)
            if len(reason) < settings.min_reason:
                raise HTTPException(422, f"opening an original needs a reason of at least {settings.min_reason} "
                                         "characters: it is written to the audit log")
            access = Access(time.time(), session.officer.username, "original_opened", event_id, name, reason)
            originals = Originals(store)
            originals.grant(access, settings.grant_s)
            if not (store.root / record.path / name).exists():
                originals.request(access)
        return RedirectResponse(f"/records/{event_id}/originals/{name}", status_code=303)

    @app.get("/records/{event_id}/originals/{name}", response_class=HTMLResponse)
    def original_page(event_id: str, name: str, session: SignedIn) -> HTMLResponse:
        with opened(where) as store:
            path, item = granted(session, store, event_id, name)
            body = _shown(event_id, name, item) if path.exists() else _waiting(Originals(store).fetch(event_id, name))
        return page(f"Original {name}", f'<p><a href="/records/{e(event_id)}">back to the violation</a></p>'
                                        f"<h1>Original {e(name)}</h1>{body}", session)

    @app.get("/records/{event_id}/originals/{name}/file")
    def original_file(event_id: str, name: str, session: SignedIn) -> FileResponse:
        with opened(where) as store:
            path, item = granted(session, store, event_id, name)
        if not path.exists():
            raise HTTPException(404, f"{name} has not arrived from the box")
        return FileResponse(path, media_type=str(item.get("content_type") or "application/octet-stream"),
                            headers={"Cache-Control": "no-store"})
