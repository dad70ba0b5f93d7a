"""Tombstones: the signed trace a purged record leaves, so its chain still verifies (issue 16).

Retention deletes evidence (UU PDP 27/2022: no longer than needed), but the hash chain needs
every seq: the record after a purged one links to its hash. A tombstone (`etle.tombstone/1`)
keeps what the chain and an auditor need and nothing personal: the purged record's id, device,
seq, prev_hash and hash, the sha256 of each of its files, when and why it was purged, and under
which retention. It is signed by whoever purged it (the box with its device key; the back office
with its own key, for the rejected records it purges), and stored as `tombstone-<seq>.jws` where
the record was. The verifier (edge.ledger.verify) puts the purged record's hash in its place.
Each purge is also appended to an audit log (one fsynced JSON line per purge).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from edge.ledger.chain import atomic_write
from edge.ledger.keys import Signer
from edge.ledger.signing import event_hash, sign_event, unverified_payload

TOMBSTONE_SCHEMA = "etle.tombstone/1"
AUDIT_FILE = ".audit.jsonl"


@dataclass(frozen=True, slots=True)
class Purge:
    """Why and under what rule a record goes: `status` is the record's state when purged
    (receipted on the box; rejected in the back office), `retention_s` how long it was kept."""

    status: str
    reason: str
    retention_s: float
    purged_at: datetime


def tombstone_document(record_jws: str, purge: Purge, issuer: tuple[str, str]) -> dict[str, Any]:
    """The tombstone of the record whose compact JWS is `record_jws` (an event or a gap record);
    `issuer` = (id, kid) of whoever purges it: the device, or the back office."""
    if purge.purged_at.tzinfo is None:
        raise ValueError("purged_at must carry a UTC offset (RFC 3339)")
    record = unverified_payload(record_jws)
    device = record["device"]
    files = [*(record.get("media") or []), *(record.get("withheld") or [])]
    purged: dict[str, Any] = {
        "event_id": record["event_id"],
        "schema": record["schema"],
        "device": {"id": device["id"], "seq": device["seq"], "kid": device["kid"]},
        "prev_hash": record["prev_hash"],
        "record_hash": event_hash(record_jws),
        "files": [{"name": f["name"], "sha256": f["sha256"], "bytes": f["bytes"]} for f in files],
    }
    if isinstance(record.get("missing"), dict):  # a gap record: the seqs it declared lost stay declared
        purged["missing"] = record["missing"]
    return {
        "schema": TOMBSTONE_SCHEMA,
        "tombstone_id": str(uuid.uuid4()),
        "issuer": {"id": issuer[0], "kid": issuer[1]},
        "purged": purged,
        "status": purge.status,
        "reason": purge.reason,
        "retention_s": purge.retention_s,
        "purged_at": purge.purged_at.isoformat(timespec="milliseconds"),
    }


def tombstone_path(root: Path, seq: int) -> Path:
    return root / f"tombstone-{seq:012d}.jws"


def append_audit(path: Path, entry: dict[str, Any]) -> None:
    """One line, fsynced before the purge deletes anything."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


class Undertaker:
    """Leaves a signed tombstone and an audit line for each record before its files are deleted.
    Thread-safe: it only signs (the chain state is not touched: a tombstone takes no seq)."""

    def __init__(self, signer: Signer, issuer_id: str, audit: Path) -> None:
        self._signer = signer
        self._issuer_id = issuer_id
        self._audit = audit

    def bury(self, root: Path, record_jws: str, purge: Purge) -> Path:
        """Store the tombstone of `record_jws` under `root` and audit it; raises OSError (the disk),
        and then nothing may be deleted."""
        document = tombstone_document(record_jws, purge, (self._issuer_id, self._signer.kid))
        signed = sign_event(document, self._signer)
        path = tombstone_path(root, int(document["purged"]["device"]["seq"]))
        atomic_write(path, signed.encode("ascii") + b"\n")
        purged = document["purged"]
        append_audit(self._audit, {
            "action": "purge", "at": document["purged_at"], "event_id": purged["event_id"],
            "seq": purged["device"]["seq"], "status": purge.status, "reason": purge.reason,
            "tombstone": path.name, "tombstone_sha256": hashlib.sha256(signed.encode("ascii")).hexdigest(),
        })
        return path

