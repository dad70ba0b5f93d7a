"""One ingest worker of several, all on one MQTT 5 shared subscription.

    $share/<group>/etle/v1/+/+/violation     each message goes to one worker of the group
    $share/<group>/etle/v1/+/+/media/#
    etle/v1/+/+/status                        every worker (retained messages skip shared ones)
    $share/<group>/etle/v1/+/+/original/#     withheld originals a box sends on request (backoffice.fetch)

The same subscriptions work on a clustered broker (EMQX, VerneMQ, HiveMQ): the group spans the
cluster. The media and the event of one record may reach different workers; they meet in the
store (backoffice.pending), and whichever worker holds the last piece verifies and stores the
record. A message is acknowledged (manual PUBACK) only after what it carried is committed, and a
receipt goes out only after the record's commit. A worker killed at any point loses nothing:
  - before its commit: no PUBACK, so the broker sends the message again when the worker's session
    resumes (persistent session: clean start false, a fixed client id, restarted by its supervisor);
  - after the commit of a piece but before the record's: another worker's sweep finds the complete
    record and stores it (IngestConfig.redo_after_s);
  - after the record's commit but before the receipt: the box resends, and a duplicate of a stored
    record is answered `stored` again.
A worker that never comes back leaves its queued messages with the broker until its session
expires; the boxes resend whatever got no receipt, and any other worker answers.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from backoffice.fetch import OriginalInbox
from backoffice.ingest import Answer, Ingest, IngestConfig, IngestStats
from backoffice.store import Store, StoreError
from edge.backoff import Backoff
from edge.contract.topics import parse_topic
from edge.ledger.keys import KeyRing
from edge.mqtt.config import BrokerConfig
from edge.mqtt.connection import QOS, publish_properties, tls_context

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class WorkerConfig:
    broker: BrokerConfig
    data: Path  # the shared data folder (records, blobs)
    database: str | None = None  # an SQLAlchemy URL; None: SQLite in `data` (one host only)
    group: str = "etle-ingest"
    client_id: str = "etle-ingest-1"  # fixed per worker: its persistent session is how redelivery finds it
    topic_prefix: str = "etle/v1"
    session_expiry_s: int = 24 * 3600
    receive_maximum: int = 50  # unacknowledged messages the broker may have in flight to this worker
    ingest: IngestConfig = field(default_factory=IngestConfig)


@dataclass(frozen=True, slots=True)
class WorkerProgress:
    connects: int
    stats: IngestStats
    receipts_sent: int
    unacked_errors: int  # messages left unacknowledged because the store failed (redelivered)


def _properties(packet_type: int) -> Any:
    return Properties(packet_type)  # type: ignore[no-untyped-call]


class Worker:
    """Call `run` on one thread: paho's client and its callbacks live there."""

    def __init__(self, config: WorkerConfig, keys: KeyRing) -> None:
        self._config = config
        self._keys = keys
        self._lock = threading.Lock()
        self._progress = WorkerProgress(0, IngestStats(), 0, 0)
        self._ingest: Ingest | None = None
        self._inbox: OriginalInbox | None = None
        self._client = self._new_client()

    def progress(self) -> WorkerProgress:
        with self._lock:
            return self._progress

    def _new_client(self) -> paho.Client:
        c = self._config
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=c.client_id, protocol=paho.MQTTv5,
                             manual_ack=True)
        if c.broker.tls is not None:
            client.tls_set_context(tls_context(c.broker.tls))
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        return client

    def _connect(self) -> None:
        props = _properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self._config.session_expiry_s
        props.ReceiveMaximum = self._config.receive_maximum
        broker = self._config.broker
        self._client.connect(broker.host, broker.port, keepalive=broker.keepalive_s, clean_start=False,
                             properties=props)

    def _on_connect(self, client: paho.Client, _u: Any, _flags: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            log.warning("broker refused the worker: %s", reason)
            return
        prefix, group = self._config.topic_prefix, self._config.group
        shared = f"$share/{group}/{prefix}/+/+"
        client.subscribe([(f"{shared}/violation", QOS), (f"{shared}/media/#", QOS), (f"{prefix}/+/+/status", QOS),
                          (f"{shared}/original/#", QOS)])
        with self._lock:
            self._progress = replace(self._progress, connects=self._progress.connects + 1)

    def _on_message(self, client: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        assert self._ingest is not None
        try:
            answers = self._dispatch(self._ingest, message.topic, bytes(message.payload))
        except StoreError as exc:  # not acknowledged: the broker sends it again after a reconnect
            log.error("%s; the message stays unacknowledged", exc)
            with self._lock:
                self._progress = replace(self._progress, unacked_errors=self._progress.unacked_errors + 1)
            client.disconnect()
            return
        self._answer(answers)
        client.ack(message.mid, message.qos)

    def _dispatch(self, ingest: Ingest, topic: str, payload: bytes) -> list[Answer]:
        ref = parse_topic(self._config.topic_prefix, topic)
        now = time.time()
        if ref is None:
            if self._inbox is None or not self._inbox.on_message(topic, payload, now):
                log.info("ignored a message on %s", topic)
            return []
        if ref.channel == "media":
            return ingest.on_media(ref, payload, now)
        if ref.channel == "violation":
            return ingest.on_record(ref, payload, now)
        if ref.channel == "status":
            ingest.store.put_status(ref.site, ref.camera, payload.decode("utf-8", "replace"))
        return []

    def _answer(self, answers: list[Answer]) -> None:
        for answer in answers:
            topic = answer.ref.topics(self._config.topic_prefix).receipt
            info = self._client.publish(topic, answer.receipt.encode(), qos=QOS, properties=publish_properties(
                "application/json", {"event_id": answer.receipt.event_id}))
            if info.rc != paho.MQTT_ERR_SUCCESS:
                log.info("receipt for %s not sent (%s); the box will resend", answer.receipt.event_id,
                         paho.error_string(info.rc))
        with self._lock:
            self._progress = replace(self._progress, receipts_sent=self._progress.receipts_sent + len(answers))

    def _request(self, now: float) -> None:
        """Publish the officers' requests for withheld originals (each claimed by one worker only)."""
        assert self._inbox is not None
        for message in self._inbox.to_send(now):
            info = self._client.publish(message.topic, message.payload, qos=QOS,
                                        properties=publish_properties("application/json", {}))
            if info.rc != paho.MQTT_ERR_SUCCESS:
                self._inbox.unsent(message, paho.error_string(info.rc))

    def run(self, stop: threading.Event, ready: threading.Event | None = None) -> WorkerProgress:
        """Receive, store and answer until `stop` is set."""
        store = Store.open(self._config.data, self._config.database)
        self._ingest = ingest = Ingest(store, self._keys, self._config.ingest)
        self._inbox = OriginalInbox(store, self._config.topic_prefix)
        backoff, connected, last_sweep = Backoff(0.2, 5.0), False, 0.0
        while not stop.is_set():
            if not connected:
                try:
                    self._connect()
                    connected = True
                except OSError as exc:
                    log.info("cannot reach the broker: %s", exc)
                    time.sleep(backoff.next_delay())
                    continue
            if self._client.loop(0.1) != paho.MQTT_ERR_SUCCESS:
                connected = False
                time.sleep(backoff.next_delay())
                continue
            if ready is not None and self.progress().connects:
                ready.set()
            now = time.time()
            if now - last_sweep > 1.0:
                last_sweep = now
                self._sweep(ingest, now)
        self._client.disconnect()
        with self._lock:
            self._progress = replace(self._progress, stats=replace(ingest.stats))
        return self.progress()

    def _sweep(self, ingest: Ingest, now: float) -> None:
        try:
            self._answer(ingest.sweep(now))
            self._request(now)
        except StoreError as exc:
            log.error("%s", exc)
        with self._lock:
            self._progress = replace(self._progress, stats=replace(ingest.stats))
