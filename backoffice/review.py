"""The officers' review page: each stored violation with its evidence, and their decision.

An officer validates every violation before a letter goes to the owner. The page lists the
stored violations (pending first), shows one with its pictures, clip, plate read, article and
measurements (the clip through a WebM copy a browser can play, `backoffice.playable`), verifies
it again on display (signature, schema, media hashes: the same
`verify_path` as `etle-edge verify`), and records the officer's decision: approve, or reject
with a reason. Decisions are appended to the store's `reviews` table and never edit the
evidence; a record that fails verification cannot be approved.

Plain server-rendered HTML with forms: it works in any browser, with no script and no CDN.
Form posts must come from this page (same Origin): on loopback there is no token, and a page
elsewhere must not be able to approve a ticket through the officer's browser.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from backoffice.playable import WEBM_TYPE, PlayableError, playable_copy
from backoffice.store import Chain, Review, Store, StoredRecord
from edge.ledger.keys import KeyRing
from edge.ledger.verify import EVENT_JSON, VerifyReport, verify_path
from edge.webguard import Guard

DECISIONS = ("approved", "rejected")
SHOWN = ("pending", "approved", "rejected", "all")
STILL_ORDER = ("overview_before", "overview_at", "overview_after", "vehicle_closeup", "plate", "overview_annotated")
STYLE = """
body{font-family:sans-serif;margin:1.5em;color:#222} table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
.ok{color:#176317;font-weight:bold} .bad{color:#b00020;font-weight:bold} .muted{color:#777}
figure{display:inline-block;margin:.4em} img{max-width:420px;border:1px solid #999}
nav a{margin-right:1em}
"""


@dataclass(frozen=True, slots=True)
class ReviewOptions:
    data: Path  # the back office store
    keys: KeyRing  # trusted device public keys
    token: str | None = None
    loopback: bool = True


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_e(title)}</title>"
                        f"<style>{STYLE}</style></head><body>{body}</body></html>",
                        headers={"Cache-Control": "no-store"})


def _event(store: Store, record: StoredRecord) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((store.root / record.path / EVENT_JSON).read_text())
    return document


def _plate_text(event: dict[str, Any]) -> str:
    plate = event.get("plate")
    if isinstance(plate, dict):
        return f"{plate['formatted']} ({plate['confidence']:.2f}, {plate['votes']} vote(s))"
    reason = (event.get("plate_unreadable") or {}).get("reason", "")
    return f"unreadable: {reason}"


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host")


def render_index(records: list[StoredRecord], decisions: dict[str, str], chains: list[Chain], show: str) -> str:
    state = {r.event_id: decisions.get(r.event_id, "pending") for r in records}
    listed = [r for r in records if show == "all" or state[r.event_id] == show]
    counts = {s: sum(v == s for v in state.values()) for s in SHOWN[:3]}
    nav = " ".join(f'<a href="/?show={s}">{s} ({counts.get(s, len(records))})</a>' for s in SHOWN)
    rows = "".join(
        f'<tr><td><a href="/records/{_e(r.event_id)}">{_e(r.summary)}</a></td><td>{_e(r.site)}/{_e(r.camera)}'
        f"</td><td>{_e(r.device_id)} #{r.seq}</td><td class=state>{_e(state[r.event_id])}</td></tr>"
        for r in listed)
    chain_lines = "".join(
        f"<li>{_e(c.device_id)}: seq {c.first}..{c.last}, "
        + ("<span class=ok>continuous</span>" if c.continuous
           else f"<span class=bad>missing {_e(list(c.missing))}</span>")
        + (f", {c.declared_lost} declared lost in signed gaps" if c.declared_lost else "") + "</li>"
        for c in chains)
    return (f"<h1>Violations to review</h1><nav>{nav}</nav><table id=records><tr><th>violation</th>"
            f"<th>site/camera</th><th>device</th><th>review</th></tr>{rows}</table>"
            f"<h2>Evidence chains</h2><ul>{chain_lines}</ul>")


def _facts(event: dict[str, Any]) -> str:
    violation, vehicle = event["violation"], event["vehicle"]
    facts = [
        ("violation", violation["type"]), ("article", violation["article"]), ("detected at", violation["detected_at"]),
        ("site / camera", f"{event['site']['id']} / {event['camera_id']}"), ("lane", violation["lane"]),
        ("vehicle", f"{vehicle['class']} (confidence {vehicle['confidence']})"), ("plate", _plate_text(event)),
        *[(str(k), v) for k, v in sorted(violation["details"].items())],
        ("clock", event.get("clock")), ("device", f"{event['device']['id']} #{event['device']['seq']}"),
        ("calibration", f"version {event['calibration']['version']}"),
    ]
    return "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts)


def _time_warning(clock: dict[str, Any]) -> str:
    """Time is half of a red-light case: say plainly when the box could not vouch for its clock."""
    if clock.get("synced") is False:
        return ("<p id=time class=bad>The box's clock was NOT synchronised when this was recorded "
                f"(source {_e(clock.get('source'))}, offset {_e(clock.get('offset_s'))} s): check the time "
                "against the signal phases and other records before approving.</p>")
    if clock.get("synced") is None:
        return (f"<p id=time class=muted>Time from {_e(clock.get('source'))}: not a synchronised clock "
                "(a replayed recording).</p>")
    return ""


def render_record(record: StoredRecord, event: dict[str, Any], history: list[Review], report: VerifyReport) -> str:
    event_id = record.event_id
    verdict = ("<p id=verified class=ok>Verified: signature, schema and every media hash match.</p>" if report.ok
               else "<p id=verified class=bad>FAILS verification:</p><ul>"
               + "".join(f"<li>{_e(line)}</li>" for line in report.lines()) + "</ul>")
    verdict += _time_warning(event.get("clock") or {})
    media = {m["role"]: m for m in event["media"]}
    stills = "".join(
        f'<figure><img src="/records/{_e(event_id)}/media/{_e(media[role]["name"])}" alt="{_e(role)}">'
        f"<figcaption>{_e(role)}, frame {media[role]['frame_index']}</figcaption></figure>"
        for role in STILL_ORDER if role in media)
    clip = (f'<p><video id=clipview controls preload=metadata width=640 src="/records/{_e(event_id)}/clip.webm">'
            f"</video><br><span class=muted>a WebM copy made here for the browser; the evidence is the "
            f'signed MP4:</span> <a id=clip href="/records/{_e(event_id)}/media/{_e(media["clip"]["name"])}" '
            f'download>clip ({media["clip"]["bytes"] // 1024} KB, MP4)</a></p>' if "clip" in media else "")
    decided = "".join(
        f"<li>{_e(datetime.fromtimestamp(r.at).isoformat(timespec='seconds'))} {_e(r.officer)}: "
        f"<b>{_e(r.decision)}</b>{' — ' + _e(r.reason) if r.reason else ''}</li>" for r in history)
    form = ('<form method=post action="/records/' + _e(event_id) + '/review">'
            "<label>Officer <input name=officer required></label> "
            "<label>Reason (needed to reject) <input name=reason size=40></label> "
            "<button name=decision value=approved>Approve</button> "
            "<button name=decision value=rejected>Reject</button></form>") if report.ok else ""
    return (f'<p><a href="/">all violations</a></p><h1>{_e(record.summary)}</h1>{verdict}'
            f"<table id=facts>{_facts(event)}</table><h2>Evidence</h2>{stills}{clip}"
            f"<h2>Review</h2><ul id=history>{decided or '<li class=muted>not reviewed yet</li>'}</ul>{form}")


def parse_decision(body: bytes) -> Review:
    """The posted form as a review (its event id and time filled in by the caller)."""
    form = {k: v[0].strip() for k, v in parse_qs(body.decode("utf-8")).items()}
    decision, officer, reason = form.get("decision", ""), form.get("officer", ""), form.get("reason", "")
    if decision not in DECISIONS:
        raise HTTPException(422, f"decision must be one of {', '.join(DECISIONS)}")
    if not officer:
        raise HTTPException(422, "the officer deciding must be named")
    if decision == "rejected" and not reason:
        raise HTTPException(422, "a rejection needs its reason")
    return Review("", decision, officer, reason, 0.0)


@contextmanager
def _opened(data: Path) -> Iterator[Store]:
    store = Store.open(data)  # one per request: SQLite connections stay on their thread
    try:
        yield store
    finally:
        store.close()


def _record_of(store: Store, event_id: str) -> StoredRecord:
    record = store.get(event_id)
    if record is None or record.lost_first is not None:
        raise HTTPException(404, f"no stored violation {event_id}")
    return record


def create_review_app(options: ReviewOptions) -> FastAPI:
    app = FastAPI(title="etle back office review", docs_url=None, redoc_url=None, openapi_url=None)
    Guard(options.token, options.loopback, "x-review-token", "review_token",
          "open the address `python -m backoffice review` printed at start (it ends in ?token=...)").install(app)

    @app.get("/", response_class=HTMLResponse)
    def index(show: str = "pending") -> HTMLResponse:
        if show not in SHOWN:
            raise HTTPException(422, f"show must be one of {', '.join(SHOWN)}")
        with _opened(options.data) as store:
            records = [r for r in store.records() if r.lost_first is None]
            body = render_index(records, store.decisions(), [store.chain(d) for d in store.devices()], show)
        return _page("Violations to review", body)

    @app.get("/records/{event_id}", response_class=HTMLResponse)
    def record_page(event_id: str) -> HTMLResponse:
        with _opened(options.data) as store:
            record = _record_of(store, event_id)
            body = render_record(record, _event(store, record), store.reviews(event_id),
                                 verify_path(store.root / record.path, options.keys))
        return _page(record.summary, body)

    @app.post("/records/{event_id}/review")
    async def review(event_id: str, request: Request) -> Response:
        if not _same_origin(request):
            raise HTTPException(403, "decisions are taken on this review page only")
        posted = parse_decision(await request.body())
        with _opened(options.data) as store:
            record = _record_of(store, event_id)
            if not verify_path(store.root / record.path, options.keys).ok:
                raise HTTPException(409, f"{event_id} fails verification: it cannot be decided on")
            store.add_review(Review(event_id, posted.decision, posted.officer, posted.reason, time.time()))
        return RedirectResponse(f"/records/{event_id}", status_code=303)

    app.include_router(_media_routes(options))
    return app


def _media_routes(options: ReviewOptions) -> APIRouter:
    """The record's files, as its event lists them, and a copy of its clip a browser can play."""
    router = APIRouter()

    @router.get("/records/{event_id}/media/{name}")
    def media_file(event_id: str, name: str) -> FileResponse:
        with _opened(options.data) as store:
            record = _record_of(store, event_id)
            listed = {m["name"]: m["content_type"] for m in _event(store, record)["media"]}
            folder = store.root / record.path
        # Only what the event lists, and only a plain file name (even an altered event.json on
        # disk cannot make this serve a path outside the record's folder).
        if name not in listed or Path(name).name != name or name in (".", ".."):
            raise HTTPException(404, f"{event_id} has no medium {name}")
        return FileResponse(folder / name, media_type=listed[name])

    @router.get("/records/{event_id}/clip.webm")
    def clip_copy(event_id: str) -> FileResponse:
        with _opened(options.data) as store:
            record = _record_of(store, event_id)
            clips = [m for m in _event(store, record)["media"] if m["role"] == "clip"]
            folder, derived = store.root / record.path, store.root / "derived"
        if not clips or Path(clips[0]["name"]).name != clips[0]["name"]:
            raise HTTPException(404, f"{event_id} has no clip")
        try:
            copy = playable_copy(folder / clips[0]["name"], derived, str(clips[0]["sha256"]))
        except PlayableError as exc:
            raise HTTPException(500, str(exc)) from exc
        return FileResponse(copy, media_type=WEBM_TYPE)
    return router
