"""The publisher thread: the only owner of the MQTT connection and of its outbox connection.

Each cycle it moves bytes (paho callbacks run here), applies receipts, deletes what the retention
allows, publishes due records inside the in-flight window (media first, then the signed record),
and sends the retained status when it is due or changed. Other threads talk to it only through
`wake`, `stop`, `progress` and `note_*`, which take a lock or set an event.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from edge.backoff import Backoff
from edge.contract.receipts import MalformedReceiptError, Receipt
from edge.contract.topics import Topics
from edge.delivery.config import DeliveryConfig
from edge.delivery.originals import answer
from edge.delivery.outbox import Outbox, OutboxError, OutboxStats
from edge.delivery.records import Message, MissingRecordError, messages
from edge.delivery.status import (
    OFFLINE_WILL,
    Delivered,
    HealthSource,
    Identity,
    StatusState,
    change_key,
    disk_free,
    status_document,
)
from edge.ledger.tombstone import Undertaker
from edge.mqtt.connection import (
    Acked,
    Connected,
    Connection,
    ConnectionEvent,
    DeliveryError,
    Lost,
    Received,
    Session,
    Will,
    publish_properties,
)

log = logging.getLogger(__name__)
IDLE_POLL_S = 0.5  # look for due records at least this often, even without a wake-up
STATS_EVERY_S = 0.25
PURGE_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class PublisherSetup:
    config: DeliveryConfig
    topics: Topics
    root: Path  # the evidence root the outbox rows point into
    outbox_path: Path
    identity: Identity
    undertaker: Undertaker | None = None  # signs a tombstone for each purged record (None: unsigned box)


@dataclass(frozen=True, slots=True)
class Progress:
    """A snapshot for other threads (the cli's drain, tests, the chaos harness)."""

    connected: bool = False
    connects: int = 0
    outbox: OutboxStats | None = None
    published: int = 0  # records published, first sends and resends
    resent: int = 0
    stored: int = 0  # receipts that settled a record
    rejected: int = 0
    ignored_receipts: int = 0  # malformed, foreign, or for no record owed one
    last_error: str | None = None
    errors: int = 0  # each time `last_error` was set: lost connections, refusals, outbox disk errors
    stopped: bool = False
    snapshots: int = 0  # outbox stats taken so far: a waiter can tell a fresh `depth` from a stale one

    @property
    def depth(self) -> int | None:
        return None if self.outbox is None else self.outbox.depth


class Publisher:
    def __init__(self, setup: PublisherSetup, health: HealthSource) -> None:
        cfg = setup.config
        self._setup = setup
        self._health = health
        will = Will(setup.topics.status, OFFLINE_WILL)
        session = Session(cfg.broker, cfg.client_id or setup.identity.device_id, cfg.session_expiry_s, will,
                          cfg.inflight_messages)
        self._connection = Connection(session, Backoff(cfg.reconnect_min_s, cfg.reconnect_max_s))  # TLS files load here
        self._lock = threading.Lock()
        self._progress = Progress()
        self._notes = (0, 0)  # (shed, unsigned), reported by the pipeline side
        self._wake = threading.Event()
        # Traffic-controller phases arrive on this box's one MQTT connection; the callback is the
        # signal reader's `receive`, which is thread-safe. None: no controller-sourced signal.
        self._on_signal: Callable[[bytes, datetime], None] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="etle-publisher", daemon=True)
        # Owned by the publisher thread only:
        self._mids: dict[int, str] = {}
        self._last_poll = 0.0
        self._last_stats = 0.0
        self._last_purge = 0.0
        self._status_at = 0.0
        self._status_key: tuple[object, ...] | None = None

    # -- the API other threads use ---------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Something was queued: look at the outbox now rather than at the next poll."""
        self._wake.set()

    def note(self, shed: int, unsigned: int) -> None:
        with self._lock:
            self._notes = (shed, unsigned)
        self._wake.set()

    def progress(self) -> Progress:
        with self._lock:
            return self._progress

    def stop(self, timeout: float = 5.0) -> Progress:
        """Publish the "stopped" status, disconnect cleanly, and end the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return self.progress()

    def wait_drained(self, timeout: float, patience_s: float = 5.0) -> Progress:
        """Wait until no record is owed a receipt, for at most timeout seconds; give up early once
        the broker has been out of reach for patience_s (what is left stays queued)."""
        deadline = time.monotonic() + timeout
        offline_since: float | None = None
        # A record queued just before this call may not be in the last snapshot yet (the end of a clip
        # flushes evidence right before draining): trust `depth` only from a snapshot taken after now.
        asked = self.progress().snapshots
        self.wake()
        while True:
            progress = self.progress()
            now = time.monotonic()
            fresh = progress.snapshots > asked
            if (fresh and progress.depth == 0) or now >= deadline or not self._thread.is_alive():
                return progress
            offline_since = None if progress.connected else (offline_since or now)
            if offline_since is not None and now - offline_since >= patience_s:
                return progress
            time.sleep(0.05)

    def _update(self, **changes: object) -> None:
        with self._lock:
            if changes.get("last_error") is not None:
                changes["errors"] = self._progress.errors + 1
            self._progress = replace(self._progress, **changes)  # type: ignore[arg-type]

    # -- the publisher thread ------------------------------------------------------------------------

    def _main(self) -> None:
        try:
            outbox = Outbox.open(self._setup.outbox_path)
        except OutboxError as exc:
            log.error("publisher not started: %s", exc)
            self._update(last_error=str(exc), stopped=True)
            return
        try:
            while not self._stop.is_set():
                try:
                    self._cycle(outbox)
                except OutboxError as exc:  # a full or failing disk: report, wait, try again
                    log.error("%s", exc)
                    self._update(last_error=str(exc))
                    self._stop.wait(1.0)
                except Exception as exc:
                    # A bug in one cycle must not end delivery for the life of the box: the outbox is
                    # the state, so the next cycle starts from what is durable. Logged in full.
                    log.exception("publisher cycle failed; retrying in 1 s")
                    self._update(last_error=f"internal error: {exc!r}")
                    self._stop.wait(1.0)
            self._goodbye(outbox)
        finally:
            outbox.close()
            self._update(connected=False, stopped=True)

    def _cycle(self, outbox: Outbox) -> None:
        events = self._connection.step(0.05 if self._connection.connected else 0.2)
        receipts = self._handle(events, outbox)
        now = time.time()
        if receipts:
            self._settle(outbox, receipts, now)
        if now - self._last_purge >= PURGE_EVERY_S or (receipts and self._setup.config.retention_s == 0):
            outbox.purge(self._setup.root, now, self._setup.config.retention_s, self._setup.undertaker)
            self._last_purge = now
        woken = self._wake.is_set()
        if self._connection.connected and (woken or receipts or now - self._last_poll >= IDLE_POLL_S):
            self._wake.clear()
            self._publish_due(outbox, now)
        if woken or receipts or now - self._last_stats >= STATS_EVERY_S:
            with self._lock:
                snapshots = self._progress.snapshots + 1
            self._update(outbox=outbox.stats(now), connected=self._connection.connected, snapshots=snapshots)
            self._last_stats = now
        self._maybe_status(now)

    def _handle(self, events: list[ConnectionEvent], outbox: Outbox) -> list[Receipt]:
        receipts: list[Receipt] = []
        for event in events:
            if isinstance(event, Connected):
                self._on_connected(event, outbox)
            elif isinstance(event, Lost):
                self._mids.clear()  # paho's in-flight state died with its client; the outbox still knows
                log.warning("broker connection: %s", event.reason)
                self._update(connected=False, last_error=event.reason)
            elif isinstance(event, Acked):
                topic = self._mids.pop(event.mid, None)
                if not event.ok:
                    # Nothing changes in the outbox: the record is resent after resend_after_s.
                    log.error("broker refused %s: %s (check the ACL and the site/camera ids)", topic, event.reason)
                    self._update(last_error=f"broker refused {topic}: {event.reason}")
            elif isinstance(event, Received) and self._on_signal is not None \
                    and event.topic == self._setup.topics.signal:
                self._on_signal(event.payload, datetime.now(UTC))
            elif isinstance(event, Received) and event.topic == self._setup.topics.original_request:
                self._send(answer(self._setup.root, self._setup.topics, event.payload))
            elif isinstance(event, Received):
                receipt = self._receipt(event)
                if receipt is not None:
                    receipts.append(receipt)
        return receipts

    def _send(self, batch: list[Message]) -> None:
        """Publish an answer to a request for an original; if the connection is down it is lost and
        the requester asks again (nothing of the evidence depends on it)."""
        try:
            for message in batch:
                props = publish_properties(message.content_type, {"event_id": message.event_id,
                                                                  "sha256": message.sha256})
                self._mids[self._connection.publish(message.topic, message.payload, props)] = message.topic
        except DeliveryError as exc:
            log.info("answer to a request for an original not sent: %s", exc)

    def listen_signals(self, on_signal: Callable[[bytes, datetime], None]) -> None:
        """Subscribe to the controller's signal topic (call before `start`)."""
        self._on_signal = on_signal

    def _on_connected(self, event: Connected, outbox: Outbox) -> None:
        with self._lock:
            connects = self._progress.connects + 1
        log.info("connected to the broker (session present: %s)", event.session_present)
        self._update(connected=True, connects=connects)
        if not event.session_present:
            # The broker lost our session (restart without persistence, expiry): whatever it held for
            # us is gone, so every record awaiting a receipt goes out again now instead of after a timeout.
            resent = outbox.resend_all()
            if resent:
                log.info("broker session lost: %d record(s) awaiting a receipt will be sent again", resent)
        try:
            self._connection.subscribe(self._setup.topics.receipt)
            self._connection.subscribe(self._setup.topics.original_request)
            if self._on_signal is not None:
                self._connection.subscribe(self._setup.topics.signal)
        except DeliveryError as exc:  # the connection died at once; the next one subscribes again
            log.info("subscribing to receipts failed: %s", exc)
        self._status_key = None  # publish the status at once
        self._wake.set()

    def _receipt(self, event: Received) -> Receipt | None:
        if event.topic != self._setup.topics.receipt:
            log.warning("ignored a message on %s: the box subscribes to %s only", event.topic,
                        self._setup.topics.receipt)
            self._count_ignored()
            return None
        try:
            return Receipt.parse(event.payload)
        except MalformedReceiptError as exc:
            log.warning("ignored a malformed receipt on %s: %s", event.topic, exc)
            self._count_ignored()
            return None

    def _count_ignored(self, n: int = 1) -> None:
        with self._lock:
            self._progress = replace(self._progress, ignored_receipts=self._progress.ignored_receipts + n)

    def _settle(self, outbox: Outbox, receipts: list[Receipt], now: float) -> None:
        matched = outbox.settle(receipts, now)
        for receipt in matched:
            if receipt.status == "rejected":
                log.error("back office rejected %s: %s (kept on the box)", receipt.event_id, receipt.reason)
        stale = len(receipts) - len(matched)
        if stale:
            log.info("%d receipt(s) matched no record awaiting one (duplicates or not ours): ignored", stale)
            self._count_ignored(stale)
        rejected = sum(r.status == "rejected" for r in matched)
        with self._lock:
            p = self._progress
            self._progress = replace(p, stored=p.stored + len(matched) - rejected, rejected=p.rejected + rejected)

    def _publish_due(self, outbox: Outbox, now: float) -> None:
        self._last_poll = now
        cfg = self._setup.config
        room = cfg.inflight_records - outbox.in_flight(now, cfg.resend_after_s)
        if room <= 0:
            return
        sent: list[str] = []
        resent = 0
        try:
            for row in outbox.due(now, cfg.resend_after_s, room):
                try:
                    batch = messages(self._setup.root, row.entry, self._setup.topics)
                except MissingRecordError as exc:
                    log.error("cannot send %s: %s", row.entry.event_id, exc)
                    outbox.mark_missing(row.entry.event_id, str(exc), now)
                    continue
                for message in batch:
                    props = publish_properties(message.content_type, {
                        "event_id": message.event_id, "content_type": message.content_type,
                        "sha256": message.sha256})
                    self._mids[self._connection.publish(message.topic, message.payload, props)] = message.topic
                sent.append(row.entry.event_id)
                resent += row.state == "sent"
        except DeliveryError as exc:  # the connection went mid-record: that record stays due
            log.info("publishing paused: %s", exc)
        if sent:
            outbox.mark_sent(sent, now)
            with self._lock:
                p = self._progress
                self._progress = replace(p, published=p.published + len(sent), resent=p.resent + resent)

    def _document(self, state: StatusState, outbox_stats: OutboxStats) -> dict[str, object]:
        with self._lock:
            shed, unsigned = self._notes
            last_error = self._progress.last_error
        faults = (f"delivery: {last_error}",) if last_error and not self._connection.connected else ()
        delivered = Delivered(self._connection.connected, outbox_stats, shed, unsigned, faults)
        return status_document(state, self._setup.identity, self._health.health(), delivered,
                               disk_free(self._setup.root))

    def _maybe_status(self, now: float) -> None:
        stats = self.progress().outbox
        if not self._connection.connected or stats is None:
            return
        if self._status_key is not None and now - self._status_at < min(1.0, self._setup.config.status_interval_s):
            return  # change checks at most once a second
        document = self._document("online", stats)
        key = change_key(document)
        if key == self._status_key and now - self._status_at < self._setup.config.status_interval_s:
            return
        self._send_status(document)
        self._status_key, self._status_at = key, now

    def _send_status(self, document: dict[str, object]) -> int | None:
        payload = json.dumps(document, separators=(",", ":")).encode("utf-8")
        try:
            return self._connection.publish(self._setup.topics.status, payload,
                                      publish_properties("application/json", {}), retain=True)
        except DeliveryError as exc:
            log.info("status not sent: %s", exc)
            return None

    def _goodbye(self, outbox: Outbox) -> None:
        if self._connection.connected:
            mid = self._send_status(self._document("stopped", outbox.stats(time.time())))
            deadline = time.monotonic() + 2.0
            while mid is not None and time.monotonic() < deadline and self._connection.connected:
                if any(isinstance(e, Acked) and e.mid == mid for e in self._connection.step(0.05)):
                    break
        self._connection.close()
