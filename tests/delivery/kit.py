"""Helpers for the delivery tests: an in-process box (real Sealer, outbox, publisher thread), the
reference back office, and a plain subscriber that records what the broker hands out."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from backoffice.ingest import IngestConfig
from backoffice.receiver import Receiver, ReceiverConfig
from edge.delivery.config import DeliveryConfig
from edge.delivery.service import Delivery
from edge.delivery.status import OFFLINE_WILL, HealthBoard
from edge.ledger.keys import load_public_keys
from edge.ledger.seal import Sealer
from edge.mqtt.config import BrokerConfig, TlsConfig
from tests.brokers import ROOT
from tests.delivery.box_child import delivery_config, setup_for
from tests.delivery.synth import DEVICE_ID, Written, emit_files, media
from tests.delivery.template import event_template


def wait_for(what: str, check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


@dataclass
class InProcessBox:
    """A box in this process: the real Sealer and delivery stack, events from tests.delivery.synth."""

    workdir: Path
    sealer: Sealer
    delivery: Delivery
    board: HealthBoard
    template: dict[str, Any]
    count: int = 0

    @classmethod
    def open(cls, workdir: Path, config: DeliveryConfig) -> InProcessBox:
        sealer = Sealer.open(workdir / "keys", DEVICE_ID, str(uuid.uuid4()))
        board = HealthBoard()
        delivery = Delivery.open(setup_for(workdir, config, sealer.kid), board, sealer)
        return cls(workdir, sealer, delivery, board, event_template())

    @property
    def root(self) -> Path:
        return self.workdir / "evidence"

    def emit(self, n: int = 1, media_bytes: int = 512, typed: bool = False) -> list[Written]:
        out = []
        for _ in range(n):
            self.count += 1
            record = emit_files(self.sealer, self.root, self.count, self.template,
                                media(self.count, media_bytes, typed))
            self.delivery.stored(record)
            out.append(record)
        return out

    def close(self) -> None:
        self.delivery.stop()
        self.sealer.close()


def box_config(port: int, resend_after_s: float = 2.0, **overrides: object) -> DeliveryConfig:
    return delivery_config(port, resend_after_s, **overrides)


def start_backoffice(workdir: Path, broker: BrokerConfig, client_id: str = "etle-backoffice") -> Receiver:
    config = ReceiverConfig(broker, workdir / "backoffice", client_id=client_id,
                            ingest=IngestConfig(media_wait_s=5.0), reconnect_max_s=0.5)
    return Receiver(config, load_public_keys(workdir / "keys")).start()


@dataclass
class Subscriber:
    """A plain MQTT 5 client that records every message it receives (test-only, paho's own thread)."""

    broker: BrokerConfig
    client_id: str = field(default_factory=lambda: f"test-sub-{uuid.uuid4().hex[:8]}")
    messages: list[tuple[str, bytes, bool]] = field(default_factory=list)  # topic, payload, retained
    # topic, MQTT 5 content type, payload format indicator (None: the property is absent)
    types: list[tuple[str, str | None, int | None]] = field(default_factory=list)
    acks: dict[int, str] = field(default_factory=dict)  # mid -> reason code of the PUBACK
    _client: paho.Client | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, *topics: str) -> Subscriber:
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=paho.MQTTv5)
        tls: TlsConfig | None = self.broker.tls
        if tls is not None:
            client.tls_set(ca_certs=str(tls.ca_file), certfile=str(tls.cert_file), keyfile=str(tls.key_file))
        connected = threading.Event()

        def on_connect(c: paho.Client, _u: object, _f: object, reason: object, _p: object) -> None:
            for topic in topics:
                c.subscribe(topic, qos=1)
            connected.set()

        def on_message(_c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
            props = message.properties
            with self._lock:
                self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))
                self.types.append((message.topic, getattr(props, "ContentType", None),
                                   getattr(props, "PayloadFormatIndicator", None)))

        def on_publish(_c: paho.Client, _u: object, mid: int, reason: object, _p: object) -> None:
            with self._lock:
                self.acks[mid] = str(reason)

        client.on_connect, client.on_message, client.on_publish = on_connect, on_message, on_publish
        client.connect(self.broker.host, self.broker.port)
        client.loop_start()
        if not connected.wait(10):
            raise AssertionError("test subscriber could not connect")
        time.sleep(0.2)  # let the SUBACKs arrive before the test publishes
        self._client = client
        return self

    def publish(self, topic: str, payload: bytes) -> int:
        assert self._client is not None
        return int(self._client.publish(topic, payload, qos=1).mid)

    def on(self, topic: str) -> list[bytes]:
        with self._lock:
            return [payload for t, payload, _ in self.messages if t == topic]

    def stop(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()


def kill_for_the_will(workdir: Path, port: int, watcher: Subscriber, status_topic: str) -> None:
    """Start a box process on `workdir`, wait until `watcher` sees it online, SIGKILL it (no DISCONNECT)
    and wait until the broker hands `watcher` the last will."""
    before = len(watcher.on(status_topic))
    child = subprocess.Popen([sys.executable, "-m", "tests.delivery.box_child", str(workdir), "--port", str(port),
                              "--events", "0"], cwd=ROOT, stdout=subprocess.PIPE)
    try:
        wait_for("the box process online", lambda: any(json.loads(p).get("state") == "online"
                                                       for p in watcher.on(status_topic)[before:]))
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        wait_for("the last will", lambda: watcher.on(status_topic)[-1] == OFFLINE_WILL)
    finally:
        if child.poll() is None:
            child.kill()
