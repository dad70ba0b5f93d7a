"""The outbox's disk budget: what happens to a violation when undelivered evidence fills it.

Why the newest violation is the one not stored (and not the oldest record evicted): every stored
record is already signed into the device's hash chain, and a chain may only skip seqs that a gap
record declares right after the last stored record (DESIGN.md, etle.gap/1: missing.last = seq - 1).
Deleting an old, committed record would leave a hole no signed record can explain. So when the
budget is reached, a new violation is not stored; its seq is reserved and declared lost in a
signed gap record whose reason keeps the violation's metadata (kind, time, lane, class, track,
confidence, frame). The gap is tiny, goes out like any record, and the status reports the count.
The decision is a database sum and a statvfs: the video pipeline never waits for the uplink.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from edge.delivery.config import MB, DeliveryConfig
from edge.delivery.outbox import Outbox, OutboxError
from edge.delivery.records import MissingRecordError, read_entry
from edge.delivery.status import disk_free
from edge.errors import EtleError
from edge.ledger.seal import Sealer
from edge.ledger.tombstone import Undertaker

if TYPE_CHECKING:
    from edge.core import Violation

log = logging.getLogger(__name__)


def size(n: int) -> str:
    """
    >>> size(3 * MB // 2), size(4096)
    ('1.5 MiB', '4096 bytes')
    """
    return f"{n / MB:.1f} MiB" if n >= MB // 10 else f"{n} bytes"


class DiskBudget:
    """The pipeline's gate: `admit(violation)` is False when the violation was shed (and declared)."""

    def __init__(self, outbox: Outbox, sealer: Sealer | None, root: Path, config: DeliveryConfig,
                 undertaker: Undertaker | None = None) -> None:
        self._outbox = outbox
        self._undertaker = undertaker
        self._sealer = sealer
        self._root = root
        self._config = config
        self.shed = 0
        self.undeclared = 0  # shed, and even the gap record could not be written (next start declares it)

    def _full(self) -> str | None:
        """Why the budget counts as reached, or None."""
        held, free = self._outbox.held_bytes(), disk_free(self._root)
        budget, reserve = self._config.budget_bytes, self._config.reserve_bytes
        if held >= budget:
            return f"outbox disk budget reached ({size(held)} held of {size(budget)})"
        if free is not None and free < reserve:
            return f"disk almost full ({size(free)} free, reserve {size(reserve)})"
        return None

    def admit(self, violation: Violation) -> bool:
        if self._sealer is None:
            return True  # unsigned evidence never enters the outbox, so it cannot fill it
        try:
            why = self._full()
            if why is not None:
                # Delivered evidence goes first, each leaving its tombstone.
                self._outbox.purge(self._root, time.time(), 0.0, self._undertaker)
                why = self._full()
        except OutboxError as exc:
            log.error("disk budget unknown, storing the violation anyway: %s", exc)
            return True
        if why is None:
            return True
        self.shed += 1
        self._declare(violation, why)
        return False

    def _declare(self, violation: Violation, why: str) -> None:
        assert self._sealer is not None
        at = violation.detected_at if violation.detected_at.tzinfo else datetime.now(UTC)
        reason = f"{why}: violation not stored: {violation.describe()}"
        try:
            path = self._sealer.declare_lost(self._root, reason, at)
        except (EtleError, OSError) as exc:
            # The reservation stays on disk; recover() at the next start turns it into a gap record.
            self.undeclared += 1
            log.error("violation shed (%s) and its gap record could not be stored: %s", violation.describe(), exc)
            return
        log.warning("violation not stored, declared in signed gap %s: %s", path.name, reason)
        try:
            self._outbox.add([read_entry(self._root, path.name)[0]], time.time())
        except (OutboxError, MissingRecordError) as exc:
            log.error("gap %s is stored but not queued yet (the next scan queues it): %s", path.name, exc)
