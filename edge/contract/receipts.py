"""Receipts: the back office's answer to a record, the only thing that lets the box delete it.

Wire form (DESIGN.md): {"event_id": ..., "status": "stored"|"rejected", "reason": null|"..."}.

>>> Receipt.parse(b'{"event_id": "e1", "status": "stored", "reason": null}')
Receipt(event_id='e1', status='stored', reason=None)
>>> Receipt("e1", "rejected", "bad signature").encode()
b'{"event_id":"e1","reason":"bad signature","status":"rejected"}'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from edge.errors import EtleError

ReceiptStatus = Literal["stored", "rejected"]
MAX_REASON = 2000


class MalformedReceiptError(EtleError):
    """A message on the receipt topic is not a receipt; the box logs it and ignores it."""


@dataclass(frozen=True, slots=True)
class Receipt:
    event_id: str
    status: ReceiptStatus
    reason: str | None = None

    def encode(self) -> bytes:
        body = {"event_id": self.event_id, "status": self.status, "reason": self.reason}
        return json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8")

    @classmethod
    def parse(cls, payload: bytes) -> Receipt:
        try:
            data = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedReceiptError(f"not JSON: {exc}") from exc
        if not isinstance(data, dict) or set(data) != {"event_id", "status", "reason"}:
            keys = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise MalformedReceiptError(f"a receipt has exactly event_id, status and reason; got {keys}")
        event_id, status, reason = data["event_id"], data["status"], data["reason"]
        if not isinstance(event_id, str) or not event_id:
            raise MalformedReceiptError(f"event_id must be a non-empty string, got {event_id!r}")
        if reason is not None and not isinstance(reason, str):
            raise MalformedReceiptError(f"reason must be a string or null, got {reason!r}")
        if status == "stored":
            return cls(event_id, "stored", reason)
        if status == "rejected":
            return cls(event_id, "rejected", (reason or "no reason given")[:MAX_REASON])
        raise MalformedReceiptError(f"status must be 'stored' or 'rejected', got {status!r}")
