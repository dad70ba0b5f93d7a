"""Withheld originals fetched from their box (edge.contract.originals), by the process that holds
the MQTT connection.

It publishes each request an allowed officer made (backoffice.access.Originals.request) on
`<prefix>/<site>/<camera>/original/request`, and files what comes back: the bytes on
`.../original/<event_id>/<name>` are stored in the record's folder only if they hash to the
sha256 that the stored, verified, signed event binds for that original (a mismatch is refused and
logged, and the file is not kept); `.../original/answer` says when the box cannot send it.
Bytes nobody asked for are dropped.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from backoffice.access import Originals
from backoffice.privacy import withheld
from backoffice.store import Store
from edge.contract.originals import OriginalRequest
from edge.contract.topics import IDENTIFIER, MEDIA_NAME, Topics
from edge.ledger.chain import atomic_write
from edge.ledger.signing import MalformedJwsError, unverified_payload
from edge.ledger.verify import EVENT_JWS

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    request_id: str
    topic: str
    payload: bytes


@dataclass(frozen=True, slots=True)
class OriginalTopic:
    """`<site>/<camera>/original/<event_id>/<name>` (a file) or `.../original/answer` (name None)."""

    site: str
    camera: str
    event_id: str | None = None
    name: str | None = None

    @classmethod
    def parse(cls, prefix: str, topic: str) -> OriginalTopic | None:
        """None when the topic is not one this inbox files (the requests we publish come back too)."""
        levels = topic.removeprefix(prefix + "/").split("/") if topic.startswith(prefix + "/") else []
        if len(levels) < 4 or levels[2] != "original" or not all(IDENTIFIER.match(x) for x in levels[:2]):
            return None
        if levels[3:] == ["answer"]:
            return cls(levels[0], levels[1])
        if len(levels) == 5 and all(MEDIA_NAME.match(x) for x in levels[3:]):
            return cls(levels[0], levels[1], levels[3], levels[4])
        return None


class OriginalInbox:
    def __init__(self, store: Store, prefix: str) -> None:
        self._store = store
        self._originals = Originals(store)
        self._prefix = prefix

    def to_send(self, now: float) -> list[Outgoing]:
        """The requests not yet published, each claimed so that one process only publishes it."""
        out = []
        for fetch in self._originals.unsent():
            record = self._store.get(fetch.event_id)
            if record is None or not self._originals.claim(fetch.request_id, now):
                continue
            request = OriginalRequest(fetch.request_id, fetch.event_id, fetch.name, fetch.requested_by, fetch.reason)
            topic = Topics(self._prefix, record.site, record.camera).original_request
            out.append(Outgoing(fetch.request_id, topic, request.encode()))
        return out

    def unsent(self, message: Outgoing, why: str) -> None:
        """A claimed request the connection could not publish: the next sweep sends it again."""
        log.info("request %s for an original not sent (%s); sent again later", message.request_id, why)
        self._originals.unclaim(message.request_id)

    def on_message(self, topic: str, payload: bytes, now: float) -> bool:
        """File a file or an answer from a box; False when the topic is not an original's."""
        ref = OriginalTopic.parse(self._prefix, topic)
        if ref is None:
            return False
        if ref.event_id is None:
            self._on_answer(payload, now)
        elif ref.name is not None:
            self._on_file(ref, ref.event_id, ref.name, payload, now)
        return True

    def _on_answer(self, payload: bytes, now: float) -> None:
        try:
            answer = json.loads(payload)
            event_id, name, status = str(answer["event_id"]), str(answer["name"]), answer["status"]
        except (ValueError, KeyError, TypeError):
            log.warning("ignored an answer about an original that is not one")
            return
        fetch = self._originals.open_for(event_id, name)
        if fetch is not None and status == "unavailable":
            self._originals.finish(fetch, "unavailable", f"the box: {answer.get('reason')}", now)

    def _on_file(self, ref: OriginalTopic, event_id: str, name: str, data: bytes, now: float) -> None:
        fetch = self._originals.open_for(event_id, name)
        record = self._store.get(event_id)
        if fetch is None or record is None or (record.site, record.camera) != (ref.site, ref.camera):
            log.warning("dropped original %s of %s from %s/%s: nobody asked for it", name, event_id, ref.site,
                        ref.camera)
            return
        folder = self._store.root / record.path
        problem = _mismatch(folder, name, data)
        if problem is not None:
            log.warning("refused original %s of %s: %s", name, event_id, problem)
            self._originals.finish(fetch, "refused", problem, now)
            return
        atomic_write(folder / name, data)
        self._originals.finish(fetch, "arrived", f"sha256 {hashlib.sha256(data).hexdigest()} as signed", now)


def _mismatch(folder: Path, name: str, data: bytes) -> str | None:
    """Why these bytes are not the original the signed event withheld under this name (None: they are).
    The event is the one stored here, whose signature was verified when it was stored."""
    try:
        event = unverified_payload((folder / EVENT_JWS).read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError, MalformedJwsError) as exc:
        return f"the stored event cannot be read ({exc})"
    if name not in withheld(event):
        return "the signed event withholds no original of that name"
    item = next(m for m in event["withheld"] if m.get("name") == name)
    digest = hashlib.sha256(data).hexdigest()
    if digest != item.get("sha256") or len(data) != item.get("bytes"):
        return f"sha256 {digest} ({len(data)} bytes) is not the signed {item.get('sha256')} ({item.get('bytes')} bytes)"
    return None

