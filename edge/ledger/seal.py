"""Sealing: puts each event into the device's signed hash chain.

The order is the whole point (see `edge.ledger.chain`): reserve the next sequence number
durably, sign the linked event, let the caller store the folder, and only then commit. A
crash anywhere leaves either a stored record that `recover` commits at the next start, or a
hole that `recover` turns into a signed, stored gap record: never a reused number, never a
silent break.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from edge.ledger.chain import ChainState, ChainStateError, recover, write_gap
from edge.ledger.config import CHAIN_FILE, PRIVATE_KEY_FILE
from edge.ledger.keys import Signer, load_signer
from edge.ledger.signing import sign_event, with_link

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Sealed:
    event: dict[str, Any]
    jws: str


class Sealer:
    """One per device process. Holds the chain state's lock for as long as it lives."""

    def __init__(self, signer: Signer, chain: ChainState, boot_id: str) -> None:
        self._signer = signer
        self._chain = chain
        self._boot_id = boot_id

    @classmethod
    def open(cls, key_dir: Path, device_id: str, boot_id: str) -> Sealer:
        """Raises KeyFileError / ChainStateError with what to do; both mean: do not sign."""
        signer = load_signer(key_dir / PRIVATE_KEY_FILE)
        return cls(signer, ChainState.open(key_dir / CHAIN_FILE, device_id), boot_id)

    @property
    def kid(self) -> str:
        return self._signer.kid

    @property
    def signer(self) -> Signer:
        """The device key alone, for documents outside the chain (tombstones); signing is thread-safe."""
        return self._signer

    def seal(self, event_id: str, event: dict[str, Any]) -> Sealed:
        """Reserve (idempotent for a retried event_id) and sign; the caller stores, then commits."""
        link = self._chain.next_link(event_id)
        linked = with_link(event, link.seq, link.prev_hash, self._signer.kid)
        return Sealed(event=linked, jws=sign_event(linked, self._signer))

    def commit(self, sealed: Sealed) -> None:
        self._chain.commit(sealed.jws)

    def recover(self, root: Path, now: datetime) -> Path | None:
        """At startup: finish an interrupted commit or record the hole as a gap under `root`."""
        return recover(self._chain, root, self._signer, self._boot_id, now)

    def record_gap(self, root: Path, reason: str, now: datetime) -> Path:
        """Declare the reserved-but-unstored numbers lost (e.g. disk full), as a signed gap."""
        gap = self._chain.record_gap(self._signer, self._boot_id, reason=reason, detected_at=now)
        path = write_gap(root, gap)
        self._chain.commit(gap)
        return path

    def declare_lost(self, root: Path, reason: str, now: datetime) -> Path:
        """A violation that will never be stored: reserve it a number and declare that number lost
        in a signed gap whose reason says what it was (disk budget, a crash before its write)."""
        stub_id = str(uuid.uuid4())
        try:
            self.seal(stub_id, {"schema": "etle.violation/1", "event_id": stub_id})  # reserves; never stored
        except ChainStateError as exc:
            log.warning("seq not reserved (%s); the gap covers the outstanding reservation instead", exc)
        return self.record_gap(root, reason, now)

    def close(self) -> None:
        self._chain.close()
