"""Delivery as the rest of the box sees it: queue what the evidence store wrote, gate violations on
the disk budget, and run the publisher thread.

Used from the pipeline thread (`stored`, `admit`, `rescan`) and from the cli (`start`, `finish`,
`stop`); the publisher thread has its own outbox connection and is reached only through
`Publisher`'s thread-safe methods.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from edge.contract.topics import Topics
from edge.delivery.budget import DiskBudget
from edge.delivery.config import DeliveryConfig
from edge.delivery.outbox import OUTBOX_FILE, Outbox, OutboxError
from edge.delivery.publisher import Progress, Publisher, PublisherSetup
from edge.delivery.records import Entry, MissingRecordError, Scan, read_entry, scan
from edge.delivery.status import HealthSource, Identity
from edge.ledger.seal import Sealer
from edge.ledger.tombstone import AUDIT_FILE, Undertaker

if TYPE_CHECKING:
    from edge.core import Violation

log = logging.getLogger(__name__)


class StoredEvidence(Protocol):
    """What the pipeline reports for each evidence folder it wrote (edge.evidence.writer.EvidenceRecord)."""

    @property
    def event_id(self) -> str: ...

    @property
    def folder(self) -> Path: ...

    @property
    def signed(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class DeliverySetup:
    config: DeliveryConfig
    topics: Topics
    root: Path  # the evidence folder
    identity: Identity

    @property
    def outbox_path(self) -> Path:
        return self.config.outbox_path or self.root / OUTBOX_FILE


class Delivery:
    def __init__(self, setup: DeliverySetup, outbox: Outbox, publisher: Publisher, budget: DiskBudget) -> None:
        self._setup = setup
        self._outbox = outbox
        self._publisher = publisher
        self._budget = budget
        self._unsigned: set[str] = set()
        self._started = False

    @classmethod
    def open(cls, setup: DeliverySetup, health: HealthSource, sealer: Sealer | None) -> Delivery:
        """Raises OutboxError or TlsSetupError (both EtleError) with what to do."""
        outbox = Outbox.open(setup.outbox_path)
        undertaker = None if sealer is None else Undertaker(sealer.signer, setup.identity.device_id,
                                                             setup.root / AUDIT_FILE)
        try:
            publisher = Publisher(PublisherSetup(setup.config, setup.topics, setup.root, setup.outbox_path,
                                                 setup.identity, undertaker), health)
        except BaseException:
            outbox.close()
            raise
        return cls(setup, outbox, publisher, DiskBudget(outbox, sealer, setup.root, setup.config, undertaker))

    @property
    def outbox_path(self) -> Path:
        return self._setup.outbox_path

    @property
    def shed(self) -> int:
        return self._budget.shed

    @property
    def unsigned(self) -> int:
        return len(self._unsigned)

    def listen_signals(self, on_signal: Callable[[bytes, datetime], None]) -> None:
        """Route the traffic controller's phase messages to a signal reader (before `start`)."""
        self._publisher.listen_signals(on_signal)

    def start(self) -> Scan:
        """Queue what earlier runs left on disk, then start publishing."""
        found = self.rescan()
        if not self._started:
            self._publisher.start()
            self._started = True
        return found

    def rescan(self) -> Scan:
        """Queue every signed record under the evidence root that the outbox does not know: folders a
        crash left unqueued, gap records written by recover() or at the end of a clip."""
        found = scan(self._setup.root, self._setup.identity.device_id, self._outbox.known_paths())
        self._outbox.add(found.entries, time.time())
        self._unsigned.update(found.unsigned)
        for name in found.foreign:
            log.warning("%s is signed by another device: not sent from this box", name)
        for name in found.unreadable:
            log.error("%s looks like a signed record but cannot be read: not sent", name)
        self._notify()
        return found

    def stored(self, record: StoredEvidence) -> None:
        """Pipeline hook: the evidence store has fsynced and renamed this record's folder."""
        if not record.signed:
            self._unsigned.add(record.folder.name)
            self._notify()
            return
        try:
            entry: Entry = read_entry(record.folder.parent, record.folder.name)[0]
            self._outbox.add([entry], time.time())
        except (OutboxError, MissingRecordError) as exc:
            # The folder is durable; the next rescan (at the latest, the next start) queues it.
            log.error("evidence %s stored but not queued yet: %s", record.event_id, exc)
        self._notify()

    def admit(self, violation: Violation) -> bool:
        """Pipeline hook: False when the disk budget is reached (the violation is declared in a gap)."""
        admitted = self._budget.admit(violation)
        if not admitted:
            self._notify()
        return admitted

    def _notify(self) -> None:
        self._publisher.note(self._budget.shed, len(self._unsigned))
        self._publisher.wake()

    def progress(self) -> Progress:
        return self._publisher.progress()

    def finish(self, timeout: float) -> Progress:
        """End of a finite source: queue the last gap records, then wait for receipts up to timeout."""
        self.rescan()
        return self._publisher.wait_drained(timeout) if self._started else self._publisher.progress()

    def stop(self) -> Progress:
        progress = self._publisher.stop()
        self._outbox.close()
        return progress
