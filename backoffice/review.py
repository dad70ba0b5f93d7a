"""The officers' review page: each stored violation with its evidence, and their decision.

An officer validates every violation before a letter goes to the owner. Officers sign in
(backoffice.accounts, backoffice.web); the queue lists the stored violations, filtered and paged
(backoffice.queue), with a thumbnail and the plate; a violation's page shows its pictures, clip,
plate read, article and measurements (the clip through a WebM copy a browser can play,
`backoffice.playable`), verifies it again on display (signature, schema, media hashes: the same
`verify_path` as `etle-edge verify`), and takes the decision: approve, or reject with a reason,
from the keyboard too. Each decision is a line of the append-only audit log (who, when, what,
from which state), which a supervisor reads at /audit; an approved violation has its
confirmation letter (backoffice.letter). A record that fails verification cannot be decided on.

Plain server-rendered HTML with forms and a few lines of script for the keys: no CDN.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from backoffice.access import Originals
from backoffice.accounts import Accounts, Session
from backoffice.letter import facts_of, pictures_of, reference_code, render_letter
from backoffice.opening import install_originals, originals_section
from backoffice.pages import clock_words, render_audit, render_devices, render_queue, when
from backoffice.playable import WEBM_TYPE, PlayableError, playable_copy
from backoffice.privacy import by_role, protected
from backoffice.queue import FilterError, QueueFilter, filter_choices, read_queue
from backoffice.settings import BackofficeSettings
from backoffice.store import Review, Store, StoredRecord
from backoffice.web import (
    SignedIn,
    Where,
    checked_post,
    csrf_field,
    e,
    form_of,
    install_auth,
    opened,
    page,
    require,
    signed_in,
)
from edge.ledger.keys import KeyRing
from edge.ledger.verify import EVENT_JSON, VerifyReport, verify_path
from edge.webguard import Guard

DECISIONS = ("approved", "rejected")
STILL_ORDER = ("overview_before", "overview_at", "overview_after", "vehicle_closeup", "plate", "overview_annotated")
THUMBNAIL_ROLES = ("vehicle_closeup", "plate", "overview_at")
RECORD_KEYS = """<script>
document.addEventListener('keydown', ev => {
  const form = document.getElementById('decide'); if (!form) return;
  const reason = form.querySelector('[name=reason]');
  if (ev.target === reason) {
    if (ev.key === 'Enter') { ev.preventDefault(); if (reason.value.trim()) form.querySelector('#reject').click(); }
    if (ev.key === 'Escape') reason.blur();
    return; }
  if (ev.target.closest('input,select,textarea')) return;
  if (ev.key === 'a') { ev.preventDefault(); form.querySelector('#approve').click(); }
  if (ev.key === 'r') { ev.preventDefault(); reason.focus(); } });
</script>"""


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    data: Path  # the back office store
    keys: KeyRing  # trusted device public keys
    token: str | None = None
    loopback: bool = True
    database: str | None = None  # an SQLAlchemy URL; None: SQLite in `data`
    https: bool = False  # behind TLS: the session cookie is then marked Secure
    settings: BackofficeSettings = field(default_factory=BackofficeSettings)  # who may open originals

    @property
    def where(self) -> Where:
        return Where(self.data, self.database)


def _event(store: Store, record: StoredRecord) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((store.root / record.path / EVENT_JSON).read_text())
    return document


def _plate_text(event: dict[str, Any]) -> str:
    plate = event.get("plate")
    if isinstance(plate, dict):
        return f"{plate['formatted']} ({plate['confidence']:.2f}, {plate['votes']} vote(s))"
    reason = (event.get("plate_unreadable") or {}).get("reason", "")
    return f"unreadable: {reason}"


def _facts(event: dict[str, Any]) -> str:
    violation, vehicle = event["violation"], event["vehicle"]
    facts = [
        ("violation", violation["type"]), ("article", violation["article"]), ("detected at", violation["detected_at"]),
        ("site / camera", f"{event['site']['id']} / {event['camera_id']}"), ("lane", violation["lane"]),
        ("vehicle", f"{vehicle['class']} (confidence {vehicle['confidence']})"), ("plate", _plate_text(event)),
        *[(str(k), v) for k, v in sorted(violation["details"].items())],
        ("clock", clock_words(event.get("clock"))), ("device", f"{event['device']['id']} #{event['device']['seq']}"),
        ("calibration", f"version {event['calibration']['version']}"),
    ]
    return "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in facts)


def _time_warning(clock: dict[str, Any]) -> str:
    """Time is half of a red-light case: say plainly when the box could not vouch for its clock."""
    if clock.get("synced") is False:
        return ("<p id=time class=bad>The box's clock was NOT synchronised when this was recorded "
                f"(source {e(clock.get('source'))}, offset {e(clock.get('offset_s'))} s): check the time "
                "against the signal phases and other records before approving.</p>")
    if clock.get("synced") is None:
        return (f"<p id=time class=muted>Time from {e(clock.get('source'))}: not a synchronised clock "
                "(a replayed recording).</p>")
    return ""


def render_record(record: StoredRecord, event: dict[str, Any], history: list[Review], report: VerifyReport,
                  session: Session | None = None, extra: str = "") -> str:
    """The record's page; its pictures and clip are the redacted copies wherever the event has them.
    `extra`: the originals' section (backoffice.opening), for an officer who may open them."""
    event_id = record.event_id
    verdict = ("<p id=verified class=ok>Verified: signature, schema and every media hash match.</p>" if report.ok
               else "<p id=verified class=bad>FAILS verification:</p><ul>"
               + "".join(f"<li>{e(line)}</li>" for line in report.lines()) + "</ul>")
    verdict += _time_warning(event.get("clock") or {})
    media = by_role(event)
    stills = "".join(
        f'<figure><img src="/records/{e(event_id)}/media/{e(media[role]["name"])}" alt="{e(role)}">'
        f"<figcaption>{e(role)}, frame {media[role]['frame_index']}</figcaption></figure>"
        for role in STILL_ORDER if role in media)
    clip = (f'<p><video id=clipview controls preload=metadata width=640 src="/records/{e(event_id)}/clip.webm">'
            f"</video><br><span class=muted>a WebM copy made here for the browser; the evidence is the "
            f'signed MP4:</span> <a id=clip href="/records/{e(event_id)}/media/{e(media["clip"]["name"])}" '
            f'download>clip ({media["clip"]["bytes"] // 1024} KB, MP4)</a></p>' if "clip" in media else "")
    decided = "".join(
        f"<li>{e(when(r.at))} {e(r.officer)}: <b>{e(r.decision)}</b> (was {e(r.from_state)})"
        f"{' — ' + e(r.reason) if r.reason else ''}</li>" for r in history)
    letter = (f'<p><a id=letter href="/records/{e(event_id)}/letter.pdf">confirmation letter (PDF) '
              f"{e(reference_code(event))}</a></p>" if history and history[-1].decision == "approved" else "")
    form = (f'<form id=decide method=post action="/records/{e(event_id)}/review">{csrf_field(session)}'
            "<label>Reason (needed to reject) <input name=reason size=50></label> "
            "<button id=approve name=decision value=approved>Approve <kbd>a</kbd></button> "
            "<button id=reject name=decision value=rejected>Reject <kbd>r</kbd>, reason, <kbd>Enter</kbd></button>"
            f"</form>{RECORD_KEYS}") if report.ok and session is not None else ""
    return (f'<p><a href="/">all violations</a></p><h1>{e(record.summary)}</h1>{verdict}'
            f"<table id=facts>{_facts(event)}</table><h2>Evidence</h2>{stills}{clip}{extra}"
            f"<h2>Review</h2><ul id=history>{decided or '<li class=muted>not reviewed yet</li>'}</ul>{letter}{form}")


def parse_decision(form: dict[str, str]) -> tuple[str, str]:
    """(decision, reason) of the posted form."""
    decision, reason = form.get("decision", ""), form.get("reason", "")
    if decision not in DECISIONS:
        raise HTTPException(422, f"decision must be one of {', '.join(DECISIONS)}")
    if decision == "rejected" and not reason:
        raise HTTPException(422, "a rejection needs its reason")
    return decision, reason


def _record_of(store: Store, event_id: str) -> StoredRecord:
    record = store.get(event_id)
    if record is None or record.lost_first is not None:
        raise HTTPException(404, f"no stored violation {event_id}")
    if record.purged_at is not None:
        raise HTTPException(410, f"{event_id} was purged after its retention: only its tombstone is left")
    return record


def create_review_app(options: ReviewOptions) -> FastAPI:
    app = FastAPI(title="etle back office review", docs_url=None, redoc_url=None, openapi_url=None)
    Guard(options.token, options.loopback, "x-review-token", "review_token",
          "open the address `python -m backoffice review` printed at start (it ends in ?token=...)").install(app)
    install_auth(app, options.where, options.https)
    where = options.where

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, session: SignedIn) -> HTMLResponse:
        try:
            wanted = QueueFilter.parse(dict(request.query_params))
        except FilterError as exc:
            raise HTTPException(422, str(exc)) from exc
        with opened(where) as store:
            body = render_queue(read_queue(store, wanted), wanted, filter_choices(store))
        return page("Violations to review", body, session)

    @app.get("/records/{event_id}", response_class=HTMLResponse)
    def record_page(event_id: str, session: SignedIn) -> HTMLResponse:
        with opened(where) as store:
            record = _record_of(store, event_id)
            event = _event(store, record)
            extra = originals_section(event_id, event, session, options.settings.originals)
            body = render_record(record, event, store.reviews(event_id),
                                 verify_path(store.root / record.path, options.keys), session, extra)
        return page(record.summary, body, session)

    @app.post("/records/{event_id}/review")
    async def review(event_id: str, request: Request, session: SignedIn) -> Response:
        form = form_of(await request.body())
        checked_post(request, session, form)
        decision, reason = parse_decision(form)
        with opened(where) as store:
            record = _record_of(store, event_id)
            if not verify_path(store.root / record.path, options.keys).ok:
                raise HTTPException(409, f"{event_id} fails verification: it cannot be decided on")
            store.add_review(Review(event_id, decision, session.officer.username, reason, time.time()))
        return RedirectResponse(f"/records/{event_id}", status_code=303)

    app.include_router(_supervision_routes(where))
    app.include_router(_media_routes(options))
    install_originals(app, where, options.settings.originals, _record_of, _event)
    return app


def _supervision_routes(where: Where) -> APIRouter:
    """The audit log (supervisors) and the devices."""
    router = APIRouter()

    @router.get("/audit", response_class=HTMLResponse)
    def audit(session: SignedIn) -> HTMLResponse:
        require(session, "supervisor")
        with opened(where) as store:
            names = {o.username: o.full_name for o in Accounts(store).officers()}
            body = render_audit(store.reviews(limit=500), names, Originals(store).access_log(500))
        return page("Audit log", body, session)

    @router.get("/devices", response_class=HTMLResponse)
    def devices(session: SignedIn) -> HTMLResponse:
        with opened(where) as store:
            chains = {d: store.chain(d) for d in store.devices()}
            body = render_devices(store.statuses(), chains, store.last_records())
        return page("Devices", body, session)
    return router


def _listed(event_id: str, event: dict[str, Any], name: str) -> str:
    """The content type of a medium the page may serve as is; else 404, or 403 for an original."""
    listed = {m["name"]: m["content_type"] for m in event["media"]}
    # Only what the event lists, and only a plain file name (even an altered event.json on
    # disk cannot make this serve a path outside the record's folder).
    if name not in listed or Path(name).name != name or name in (".", ".."):
        raise HTTPException(404, f"{event_id} has no medium {name}")
    if name in protected(event):  # publish: both sends originals too; they open with a reason only
        raise HTTPException(403, f"{name} is an original: open it from the record's page, with a reason")
    return str(listed[name])


def _media_routes(options: ReviewOptions) -> APIRouter:
    """The record's files, as its event lists them, a thumbnail, a clip a browser can play, the letter."""
    router = APIRouter(dependencies=[Depends(signed_in)])
    where = options.where

    @router.get("/records/{event_id}/media/{name}")
    def media_file(event_id: str, name: str) -> FileResponse:
        with opened(where) as store:
            record = _record_of(store, event_id)
            event = _event(store, record)
            folder = store.root / record.path
        return FileResponse(folder / name, media_type=_listed(event_id, event, name))

    @router.get("/records/{event_id}/thumbnail")
    def thumbnail(event_id: str) -> FileResponse:
        with opened(where) as store:
            record = _record_of(store, event_id)
            pictures = by_role(_event(store, record), "image/jpeg")
            folder = store.root / record.path
        name = next((str(pictures[r]["name"]) for r in THUMBNAIL_ROLES if r in pictures), None)
        if name is None or Path(name).name != name:
            raise HTTPException(404, f"{event_id} has no picture")
        return FileResponse(folder / name, media_type="image/jpeg")

    @router.get("/records/{event_id}/clip.webm")
    def clip_copy(event_id: str) -> FileResponse:
        with opened(where) as store:
            record = _record_of(store, event_id)
            clips = [m for m in by_role(_event(store, record)).values() if m.get("role") == "clip"]
            folder, derived = store.root / record.path, store.root / "derived"
        if not clips or Path(clips[0]["name"]).name != clips[0]["name"]:
            raise HTTPException(404, f"{event_id} has no clip")
        try:
            copy = playable_copy(folder / clips[0]["name"], derived, str(clips[0]["sha256"]))
        except PlayableError as exc:
            raise HTTPException(500, str(exc)) from exc
        return FileResponse(copy, media_type=WEBM_TYPE)

    @router.get("/records/{event_id}/letter.pdf")
    def letter(event_id: str) -> Response:
        with opened(where) as store:
            record = _record_of(store, event_id)
            history = store.reviews(event_id)
            if not history or history[-1].decision != "approved":
                raise HTTPException(409, f"{event_id} is not approved: no letter is sent for it")
            if not verify_path(store.root / record.path, options.keys).ok:
                raise HTTPException(409, f"{event_id} fails verification: no letter")
            names = {o.username: o.full_name for o in Accounts(store).officers()}
            event, folder = _event(store, record), store.root / record.path
        officer = history[-1].officer
        pdf = render_letter(facts_of(event, f"{names.get(officer, officer)} ({officer})"), pictures_of(folder, event))
        filename = reference_code(event).replace("/", "-") + ".pdf"
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    return router
