"""Fetching a withheld original (issue 16): the back office's request and the box's answer.

With `privacy.publish: redacted` the originals stay on the box, bound by sha256 in the signed
event, until its retention. An officer's role that may see one asks, with a reason, on
`<prefix>/<site>/<camera>/original/request`; the broker's ACL lets only the back office write
there and read the answers (deploy/mosquitto/acl). The box sends the file's bytes on
`.../original/<event_id>/<name>` and then, always, an answer on `.../original/answer`.

>>> OriginalRequest.parse(b'{"request_id": "r1", "event_id": "e1", "name": "overview_at.jpg", '
...                        b'"requested_by": "officer-7", "reason": "court hearing 12/2026"}').name
'overview_at.jpg'
>>> OriginalAnswer("r1", "e1", "clip.mp4", "unavailable", "purged", None, None).encode()[:31]
b'{"bytes":null,"event_id":"e1","'
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Literal

from edge.errors import EtleError

AnswerStatus = Literal["sent", "unavailable"]
_FIELDS = ("request_id", "event_id", "name", "requested_by", "reason")


class MalformedRequestError(EtleError):
    """A message on the request topic is not a request; the box logs it and answers nothing."""


@dataclass(frozen=True, slots=True)
class OriginalRequest:
    request_id: str
    event_id: str
    name: str
    requested_by: str  # the officer's account, for the box's audit line
    reason: str

    @classmethod
    def parse(cls, payload: bytes) -> OriginalRequest:
        try:
            data = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedRequestError(f"not JSON: {exc}") from exc
        if not isinstance(data, dict) or set(data) != set(_FIELDS):
            raise MalformedRequestError(f"a request has exactly {', '.join(_FIELDS)}")
        if not all(isinstance(data[k], str) and data[k].strip() for k in _FIELDS):
            raise MalformedRequestError("every field of a request is a non-empty string (a reason is required)")
        return cls(**data)

    def encode(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True, slots=True)
class OriginalAnswer:
    request_id: str
    event_id: str
    name: str
    status: AnswerStatus
    reason: str | None  # why it is unavailable
    sha256: str | None  # what was sent: the hash the signed event binds
    size: int | None  # "bytes" on the wire, as in the event's media items

    def encode(self) -> bytes:
        body = asdict(self)
        body["bytes"] = body.pop("size")
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
