"""The list pages of the review app: the queue (filters, thumbnail, plate, paging), the audit log
of decisions, and the devices (each box's retained status and its chain)."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from backoffice.access import Access
from backoffice.queue import STATUSES, QueueFilter, QueuePage
from backoffice.store import Chain, Review
from backoffice.web import e

KEYS_HELP = ("<p class=muted>Keys: <kbd>j</kbd>/<kbd>k</kbd> move, <kbd>Enter</kbd> opens; on a violation "
             "<kbd>a</kbd> approves, <kbd>r</kbd> rejects (type the reason, <kbd>Enter</kbd>).</p>")
QUEUE_KEYS = """<script>
(() => { let i = -1; const rows = [...document.querySelectorAll('#records tr.row')];
 document.addEventListener('keydown', ev => {
  if (ev.target.closest('input,select,textarea') || !rows.length) return;
  if (ev.key === 'j' || ev.key === 'k') { i = Math.max(0, Math.min(rows.length - 1, i + (ev.key === 'j' ? 1 : -1)));
    rows.forEach((r, n) => r.classList.toggle('current', n === i)); rows[i].scrollIntoView({block: 'nearest'}); }
  if (ev.key === 'Enter' && i >= 0) rows[i].querySelector('a').click(); }); })();
</script><style>tr.current{outline:2px solid #3366cc}</style>"""


def _select(name: str, values: list[str], chosen: str, any_label: str = "any") -> str:
    choices = "".join(f'<option value="{e(v)}"{" selected" if v == chosen else ""}>{e(v)}</option>' for v in values)
    return f'<label>{e(name)} <select name={name}><option value="">{any_label}</option>{choices}</select></label> '


def filters_form(f: QueueFilter, choices: dict[str, list[str]]) -> str:
    statuses = "".join(f'<option{" selected" if s == f.status else ""}>{s}</option>' for s in STATUSES)
    return ("<form id=filters method=get action=/>"
            + _select("site", choices["site"], f.site) + _select("camera", choices["camera"], f.camera)
            + _select("kind", choices["kind"], f.kind)
            + f'<label>date <input type=date name=date value="{e(f.date)}"></label> '
            + f"<label>status <select name=status>{statuses}</select></label> "
            + f'<label>plate <input name=plate size=10 value="{e(f.plate)}"></label> '
            + "<button id=filter>filter</button></form>")


def render_queue(queue: QueuePage, f: QueueFilter, choices: dict[str, list[str]]) -> str:
    counts = " ".join(f"{s} ({queue.counts.get(s, 0)})" for s in STATUSES[:3])
    rows = "".join(
        f'<tr class=row><td><img class=thumb src="/records/{e(r.event_id)}/thumbnail" alt="vehicle"></td>'
        f'<td><a href="/records/{e(r.event_id)}">{e(r.violation or r.summary)}</a></td>'
        f"<td class=plate>{e(r.plate or 'unreadable')}</td><td>{e(r.detected_at or '')}</td>"
        f"<td>{e(r.site)}/{e(r.camera)}</td><td>{e(r.device_id)} #{r.seq}</td><td class=state>{e(state)}</td></tr>"
        for r, state in queue.rows)
    pages = max(1, -(-queue.total // queue.page_size))
    paging = f"<p id=paging>page {f.page} of {pages}, {queue.total} violation(s) "
    if f.page > 1:
        paging += f'<a id=prev href="/?{e(f.query(page=f.page - 1))}">previous</a> '
    if f.page < pages:
        paging += f'<a id=next href="/?{e(f.query(page=f.page + 1))}">next</a>'
    return (f"<h1>Violations to review</h1>{filters_form(f, choices)}<p id=counts>{counts}</p>"
            "<table id=records><tr><th></th><th>violation</th><th>plate</th><th>time</th><th>site/camera</th>"
            f"<th>device</th><th>review</th></tr>{rows}</table>{paging}</p>{KEYS_HELP}{QUEUE_KEYS}")


def when(at: float) -> str:
    return datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds")


def render_audit(reviews: list[Review], names: dict[str, str], access: list[Access] | None = None) -> str:
    """The decisions, then who opened or fetched an original and what retention purged."""
    rows = "".join(
        f"<tr><td>{e(when(r.at))}</td><td>{e(names.get(r.officer, r.officer))} ({e(r.officer)})</td>"
        f'<td><a href="/records/{e(r.event_id)}">{e(r.event_id)}</a></td><td>{e(r.from_state)}</td>'
        f"<td><b>{e(r.decision)}</b></td><td>{e(r.reason)}</td></tr>" for r in reversed(reviews))
    return ("<h1>Audit log of decisions</h1><p class=muted>Appended only: the database refuses to change or "
            "delete a line. Newest first.</p><table id=audit><tr><th>when</th><th>who</th><th>violation</th>"
            f"<th>from</th><th>to</th><th>reason</th></tr>{rows}</table>{_render_access(access or [], names)}")


def _render_access(access: list[Access], names: dict[str, str]) -> str:
    rows = "".join(
        f"<tr><td>{e(when(a.at))}</td><td>{e(names.get(a.officer, a.officer))} ({e(a.officer)})</td>"
        f"<td>{e(a.action)}</td><td>{e(a.event_id)}</td><td>{e(a.name)}</td><td>{e(a.reason)}</td></tr>"
        for a in reversed(access))
    return ("<h2>Originals opened and records purged</h2><p class=muted>Appended only, newest first.</p>"
            "<table id=access><tr><th>when</th><th>who</th><th>what</th><th>violation</th><th>file</th>"
            f"<th>reason</th></tr>{rows}</table>")


def clock_words(clock: Any) -> str:
    """A box's clock status, as an officer reads it."""
    if not isinstance(clock, dict):
        return "unknown (the box did not say)"
    source, offset = clock.get("source") or "unknown source", clock.get("offset_s")
    off = "offset unknown" if offset is None else f"offset {abs(float(offset)) * 1000:.1f} ms " + \
        ("ahead" if float(offset) > 0 else "behind")
    if clock.get("synced") is True:
        return f"synchronised ({source}, {off})"
    if clock.get("synced") is False:
        return f"NOT synchronised ({source}, {off})"
    return f"not a live clock: times are taken from the recording ({source})"


def _device_row(site: str, camera: str, status: dict[str, Any], chain: Chain | None, last: float | None) -> str:
    state = str(status.get("state", "unknown"))
    outbox = status.get("outbox") if isinstance(status.get("outbox"), dict) else {}
    faults = status.get("faults") or []
    calibration = status.get("calibration") if isinstance(status.get("calibration"), dict) else {}
    failsafe = status.get("judging") is False or bool(faults)
    continuity = ("no records" if chain is None else
                  f"seq {chain.first}..{chain.last}: " + ("continuous" if chain.continuous else
                                                         f"MISSING {list(chain.missing)[:10]}")
                  + (f", {chain.declared_lost} declared lost" if chain.declared_lost else ""))
    return (f"<tr><td>{e(site)}/{e(camera)}</td><td>{e(status.get('device_id', ''))}</td>"
            f"<td class={'ok' if state == 'online' else 'bad'}>{e(state)}</td>"
            f"<td>{e((outbox or {}).get('depth', '?'))}</td><td>{e(clock_words(status.get('clock')))}</td>"
            f"<td>{e((calibration or {}).get('version', '?'))}</td><td>{e(', '.join(map(str, faults)) or 'none')}</td>"
            f"<td class={'bad' if failsafe else 'ok'}>{'FAIL-SAFE: issues no violations' if failsafe else 'judging'}"
            f"</td><td>{e(continuity)}</td><td>{e(when(last)) if last else 'never'}</td></tr>")


def render_devices(statuses: list[tuple[str, str, str]], chains: dict[str, Chain],
                   last: dict[str, tuple[str, str, float]]) -> str:
    by_camera = {(s, c): d for d, (s, c, _) in last.items()}
    rows = []
    for site, camera, document in statuses:
        try:
            status = json.loads(document)
        except ValueError:
            status = {"state": "unreadable status"}
        device = str(status.get("device_id") or by_camera.get((site, camera), ""))
        seen = last.get(device)
        rows.append(_device_row(site, camera, status if isinstance(status, dict) else {}, chains.get(device),
                                seen[2] if seen else None))
    return ("<h1>Devices</h1><p class=muted>Each box's retained status (offline is its last will), as of "
            f"{e(when(time.time()))}.</p><table id=devices><tr><th>site/camera</th><th>device</th><th>state</th>"
            "<th>outbox</th><th>clock</th><th>calibration</th><th>faults</th><th>mode</th><th>chain</th>"
            f"<th>last record</th></tr>{''.join(rows)}</table>")
