"""Answering a request for a withheld original (edge.contract.originals), on the publisher thread.

Only a file the signed event binds as an original is sent, and only if its bytes still hash to
what the event says: the back office can check it against the event it already verified. Every
request, answered or not, is one line in the evidence folder's audit log.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from edge.contract.originals import MalformedRequestError, OriginalAnswer, OriginalRequest
from edge.contract.topics import MEDIA_NAME, Topics
from edge.delivery.records import Message
from edge.errors import EtleError
from edge.ledger.signing import MalformedJwsError, unverified_payload
from edge.ledger.tombstone import AUDIT_FILE, append_audit
from edge.ledger.verify import EVENT_JWS

JSON = "application/json"


def _original(root: Path, request: OriginalRequest) -> tuple[bytes, dict[str, object]]:
    """The file's bytes and its signed item; raises LookupError saying why it cannot be sent."""
    if not (MEDIA_NAME.match(request.event_id) and MEDIA_NAME.match(request.name)):
        raise LookupError("not an event id and a file name")
    folder = root / request.event_id
    try:
        event = unverified_payload((folder / EVENT_JWS).read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError, MalformedJwsError) as exc:
        raise LookupError("not on the box (purged after its retention, or never here)") from exc
    items = [*(event.get("media") or []), *(event.get("withheld") or [])]
    item = next((m for m in items if m.get("name") == request.name and m.get("variant", "original") == "original"),
                None)
    if item is None:
        raise LookupError(f"the event binds no original named {request.name}")
    try:
        data = (folder / request.name).read_bytes()
    except OSError as exc:
        raise LookupError(f"the file is gone from the box ({exc.strerror})") from exc
    if hashlib.sha256(data).hexdigest() != item.get("sha256"):
        raise LookupError("the file on the box no longer matches its signed hash: not sent")
    return data, item


def answer(root: Path, topics: Topics, payload: bytes) -> list[Message]:
    """The messages that answer one request (the file, then the answer), or none for a malformed
    request (it names no request id to answer)."""
    try:
        request = OriginalRequest.parse(payload)
    except MalformedRequestError:
        return []
    out = []
    try:
        data, item = _original(root, request)
        out.append(Message(topics.original(request.event_id, request.name), data, str(item.get("content_type")),
                           request.event_id))
        reply = OriginalAnswer(request.request_id, request.event_id, request.name, "sent", None,
                               out[0].sha256, len(data))
    except LookupError as exc:
        reply = OriginalAnswer(request.request_id, request.event_id, request.name, "unavailable", str(exc),
                               None, None)
    try:
        append_audit(root / AUDIT_FILE, {"action": f"original_{reply.status}", "at": datetime.now(UTC).isoformat(),
                                         "request_id": request.request_id, "event_id": request.event_id,
                                         "name": request.name, "requested_by": request.requested_by,
                                         "reason": request.reason, "sha256": reply.sha256})
    except (OSError, EtleError) as exc:  # no audit line, no original: the requester may ask again
        reply = OriginalAnswer(request.request_id, request.event_id, request.name, "unavailable",
                               f"the box cannot write its audit log ({exc})", None, None)
        out = []
    return [*out, Message(topics.original_answer, reply.encode(), JSON, request.event_id)]
