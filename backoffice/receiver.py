"""The reference receiver: one thread owns its MQTT connection (edge.mqtt.connection.Connection, the same
connection code the box uses), feeds messages to `Ingest`, and publishes the receipts. It also
publishes the requests for withheld originals that officers made and files what the boxes send
back (backoffice.fetch).

Its session is persistent too (clean start false), so the broker queues what boxes publish while
the receiver is away, within the broker's queue limits (deploy/mosquitto/mosquitto.conf).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from backoffice.fetch import OriginalInbox, Outgoing
from backoffice.ingest import Answer, Ingest, IngestConfig, IngestStats
from backoffice.store import Store, StoreError
from edge.backoff import Backoff
from edge.contract.topics import parse_topic
from edge.ledger.keys import KeyRing
from edge.mqtt.config import BrokerConfig
from edge.mqtt.connection import Connected, Connection, DeliveryError, Lost, Received, Session, publish_properties

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReceiverConfig:
    broker: BrokerConfig
    data: Path
    client_id: str = "etle-backoffice"
    topic_prefix: str = "etle/v1"
    session_expiry_s: int = 24 * 3600
    ingest: IngestConfig = field(default_factory=IngestConfig)
    reconnect_max_s: float = 5.0
    database: str | None = None  # an SQLAlchemy URL (PostgreSQL); None: SQLite in `data`


@dataclass(frozen=True, slots=True)
class ReceiverProgress:
    connected: bool
    connects: int
    stats: IngestStats
    receipts_sent: int
    receipts_unsent: int  # answers lost to a dead connection (the box resends, the answer repeats)


class Receiver:
    def __init__(self, config: ReceiverConfig, keys: KeyRing) -> None:
        self._config = config
        self._keys = keys
        session = Session(config.broker, config.client_id, config.session_expiry_s, None, 100)
        self._connection = Connection(session, Backoff(0.2, config.reconnect_max_s))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._progress = ReceiverProgress(False, 0, IngestStats(), 0, 0)
        self._thread = threading.Thread(target=self._main, name="etle-backoffice", daemon=True)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> ReceiverProgress:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return self.progress()

    def progress(self) -> ReceiverProgress:
        with self._lock:
            return self._progress

    def _main(self) -> None:
        try:
            store = Store.open(self._config.data, self._config.database)
        except StoreError as exc:
            log.error("receiver not started: %s", exc)
            return
        ingest = Ingest(store, self._keys, self._config.ingest)
        inbox = OriginalInbox(store, self._config.topic_prefix)
        last_sweep = 0.0
        try:
            while not self._stop.is_set():
                answers: list[Answer] = []
                for event in self._connection.step(0.05):
                    if isinstance(event, Connected):
                        self._subscribe()
                    elif isinstance(event, Lost):
                        log.info("receiver connection: %s", event.reason)
                    elif isinstance(event, Received):
                        try:
                            answers += self._dispatch(ingest, inbox, event)
                        except StoreError as exc:  # no receipt: the box keeps the record and resends
                            log.error("%s", exc)
                now = time.time()
                if now - last_sweep > 1.0:
                    answers += self._sweep(ingest, now)
                    self._request(inbox, now)
                    last_sweep = now
                self._answer(answers)
                with self._lock:
                    self._progress = replace(self._progress, connected=self._connection.connected,
                                             stats=replace(ingest.stats))
            self._connection.close()
        finally:
            store.close()

    @staticmethod
    def _sweep(ingest: Ingest, now: float) -> list[Answer]:
        try:
            return ingest.sweep(now)
        except StoreError as exc:
            log.error("%s", exc)
            return []

    def _request(self, inbox: OriginalInbox, now: float) -> None:
        """Publish the officers' requests for withheld originals; one not sent is logged in the fetch."""
        try:
            outgoing: list[Outgoing] = inbox.to_send(now)
        except StoreError as exc:
            log.error("%s", exc)
            return
        for message in outgoing:
            try:
                self._connection.publish(message.topic, message.payload, publish_properties("application/json", {}))
            except DeliveryError as exc:
                inbox.unsent(message, str(exc))

    def _subscribe(self) -> None:
        prefix = self._config.topic_prefix
        try:
            for channel in ("violation", "media/#", "status", "original/#"):
                self._connection.subscribe(f"{prefix}/+/+/{channel}")
        except DeliveryError as exc:
            log.warning("subscribing failed: %s", exc)
        with self._lock:
            self._progress = replace(self._progress, connects=self._progress.connects + 1)

    def _dispatch(self, ingest: Ingest, inbox: OriginalInbox, event: Received) -> list[Answer]:
        ref = parse_topic(self._config.topic_prefix, event.topic)
        now = time.time()
        if ref is None:
            if not inbox.on_message(event.topic, event.payload, now):
                log.info("ignored a message on %s", event.topic)
            return []
        if ref.channel == "media":
            return ingest.on_media(ref, event.payload, now)
        if ref.channel == "violation":
            return ingest.on_record(ref, event.payload, now)
        if ref.channel == "status":
            ingest.store.put_status(ref.site, ref.camera, event.payload.decode("utf-8", "replace"))
        return []

    def _answer(self, answers: list[Answer]) -> None:
        sent = unsent = 0
        for answer in answers:
            topic = answer.ref.topics(self._config.topic_prefix).receipt
            try:
                self._connection.publish(topic, answer.receipt.encode(), publish_properties("application/json", {
                    "event_id": answer.receipt.event_id}))
                sent += 1
            except DeliveryError as exc:
                unsent += 1
                log.info("receipt for %s not sent (%s); the box will resend", answer.receipt.event_id, exc)
        if answers:
            with self._lock:
                p = self._progress
                self._progress = replace(p, receipts_sent=p.receipts_sent + sent,
                                         receipts_unsent=p.receipts_unsent + unsent)
