"""Simulated boxes for the back office's worker tests and load runs (scripts/load_backoffice).

Each box has its own Ed25519 key, its own chain (device.seq from 1, prev_hash of its previous
record) and its own site/camera topics, and signs real events: the shape the real event builder
makes (tests.delivery.template), with media of a realistic size (random bytes, incompressible as
JPEG and MP4 are). The fleet publishes media then event over MQTT 5 QoS 1, as edge.delivery does,
and resends a record that got no receipt, as a box's outbox does. The boxes share a few MQTT
connections (a thousand paho clients in one test process would measure that process, not the back
office); everything the back office sees per record is what a real box sends.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import OKPKey
from paho.mqtt.enums import CallbackAPIVersion

from edge.contract.receipts import Receipt
from edge.contract.topics import Topics
from edge.ledger.keys import FileSigner, public_jwk
from edge.ledger.signing import event_hash, sign_event, with_link
from tests.delivery.synth import event_document

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "etle/v1"
FIRST_PREV = "sha256:" + "0" * 64
# A record's media, as shares of its total size: overview, vehicle close-up, plate crop, clip.
SHARES = {"overview_at.jpg": 0.30, "vehicle_closeup.jpg": 0.15, "plate.jpg": 0.03, "clip.mp4": 0.52}


@dataclass(frozen=True, slots=True)
class SignedRecord:
    device_id: str
    seq: int
    event_id: str
    topics: Topics
    jws: str
    files: dict[str, bytes]

    @property
    def bytes(self) -> int:
        return sum(len(b) for b in self.files.values()) + len(self.jws)


@dataclass
class SimBox:
    device_id: str
    topics: Topics
    signer: FileSigner
    seq: int = 0
    prev_hash: str = FIRST_PREV

    def sign(self, template: dict[str, Any], files: dict[str, bytes]) -> SignedRecord:
        event_id = str(uuid.uuid4())
        doc = event_document(template, event_id, self.seq + 1, files, self.device_id)
        doc["site"]["id"], doc["camera_id"] = self.topics.site, self.topics.camera
        self.seq += 1
        jws = sign_event(with_link(doc, self.seq, self.prev_hash, self.signer.kid), self.signer)
        self.prev_hash = event_hash(jws)
        return SignedRecord(self.device_id, self.seq, event_id, self.topics, jws, files)


class MediaMaker:
    """Unique, incompressible media of a given total size, cheaply: slices of one random pool, each
    starting with fresh random bytes so that no two records share a hash."""

    def __init__(self, seed: int = 7) -> None:
        self._rng = random.Random(seed)
        self._pool = os.urandom(4 * 1024 * 1024)

    def files(self, total: int) -> dict[str, bytes]:
        out = {}
        for name, share in SHARES.items():
            size = max(64, int(total * share))
            start = self._rng.randrange(0, len(self._pool) - size)
            out[name] = os.urandom(32) + self._pool[start:start + size - 32]
        return out


def make_fleet(n: int, key_file: Path, site_prefix: str = "mks") -> list[SimBox]:
    """n boxes with fresh keys; their public keys written to key_file (a JWK Set) for the back office."""
    boxes, public = [], []
    for i in range(n):
        key = OKPKey.import_key(Ed25519PrivateKey.generate())
        public.append(public_jwk(key))
        site = f"{site_prefix}-{i // 4:04d}"
        boxes.append(SimBox(f"etle-{site_prefix}-{i:05d}", Topics(PREFIX, site, f"cam-{i % 4 + 1:02d}"),
                            FileSigner(key=key, kid=key.thumbprint())))
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(json.dumps({"keys": public}))
    return boxes


@dataclass
class Outstanding:
    record: SignedRecord
    first_sent: float
    last_sent: float


@dataclass
class FleetStats:
    published: int = 0
    resends: int = 0
    stored: int = 0
    rejected: list[str] = field(default_factory=list)
    duplicate_receipts: int = 0
    latencies: list[float] = field(default_factory=list)  # first publish → `stored` receipt, seconds
    bytes_stored: int = 0


class FleetPublisher:
    """A few publishing connections and one receipt subscription; resends as a box's outbox does."""

    def __init__(self, port: int, connections: int = 4, resend_after_s: float = 10.0) -> None:
        self._lock = threading.Lock()
        self._outstanding: dict[str, Outstanding] = {}
        self._done: set[str] = set()
        self.stats = FleetStats()
        self._resend_after_s = resend_after_s
        self._clients = [self._client(port, f"fleet-pub-{uuid.uuid4().hex[:6]}") for _ in range(connections)]
        self._subscribed = threading.Event()
        self._receipts = self._client(port, f"fleet-receipts-{uuid.uuid4().hex[:6]}", self._on_connect)
        if not self._subscribed.wait(10.0):
            raise RuntimeError(f"the fleet's receipt subscription on port {port} did not start")
        self._stop = threading.Event()
        self._resender = threading.Thread(target=self._resend_loop, daemon=True)
        self._resender.start()

    def _on_connect(self, client: paho.Client, _u: Any, _f: Any, _r: Any, _p: Any) -> None:
        client.subscribe(f"{PREFIX}/+/+/receipt", qos=1)

    def _on_subscribe(self, _c: paho.Client, _u: Any, _m: Any, _r: Any, _p: Any) -> None:
        self._subscribed.set()

    def _client(self, port: int, client_id: str, on_connect: Any = None) -> paho.Client:
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5)
        client.max_inflight_messages_set(100)
        if on_connect is not None:
            client.on_connect, client.on_subscribe, client.on_message = on_connect, self._on_subscribe, self._on_receipt
        client.connect("127.0.0.1", port, keepalive=30)
        client.loop_start()
        return client

    def _send(self, record: SignedRecord) -> None:
        client = self._clients[hash(record.device_id) % len(self._clients)]
        for name, data in record.files.items():
            client.publish(record.topics.media(record.event_id, name), data, qos=1)
        client.publish(record.topics.violation, record.jws.encode("ascii"), qos=1)

    def publish(self, record: SignedRecord) -> None:
        now = time.monotonic()
        with self._lock:
            self._outstanding[record.event_id] = Outstanding(record, now, now)
            self.stats.published += 1
        self._send(record)

    def _on_receipt(self, _c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        receipt = Receipt.parse(bytes(message.payload))
        now = time.monotonic()
        with self._lock:
            waiting = self._outstanding.pop(receipt.event_id, None)
            if waiting is None:
                self.stats.duplicate_receipts += receipt.event_id in self._done
                return
            self._done.add(receipt.event_id)
            if receipt.status == "stored":
                self.stats.stored += 1
                self.stats.latencies.append(now - waiting.first_sent)
                self.stats.bytes_stored += waiting.record.bytes
            else:
                self.stats.rejected.append(f"{receipt.event_id}: {receipt.reason}")

    def _resend_loop(self) -> None:
        while not self._stop.wait(1.0):
            now = time.monotonic()
            with self._lock:
                due = [o for o in self._outstanding.values() if now - o.last_sent > self._resend_after_s]
                for o in due:
                    o.last_sent = now
                self.stats.resends += len(due)
            for o in due:
                self._send(o.record)

    @property
    def outstanding(self) -> int:
        with self._lock:
            return len(self._outstanding)

    def wait_all(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.outstanding and time.monotonic() < deadline:
            time.sleep(0.2)
        return not self.outstanding

    def close(self) -> None:
        self._stop.set()
        for client in (*self._clients, self._receipts):
            client.loop_stop()
            client.disconnect()


class Workers:
    """`python -m backoffice worker` processes on one shared subscription, killed and restarted on demand."""

    def __init__(self, port: int, keys: Path, data: Path, database: str) -> None:
        self._args = ["--broker", f"127.0.0.1:{port}", "--keys", str(keys), "--data", str(data), "--database",
                      database, "--group", "etle-ingest"]
        self.procs: dict[str, subprocess.Popen[str]] = {}
        self.logs = data.parent / "worker-logs"
        self.logs.mkdir(exist_ok=True)

    def start(self, name: str) -> None:
        ready = self.logs / f"{name}.ready"
        ready.unlink(missing_ok=True)
        log = open(self.logs / f"{name}.log", "a")  # noqa: SIM115  (kept open by the child)
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "backoffice", "worker", *self._args, "--client-id", name, "--ready-file",
             str(ready)], stdout=log, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert self.procs[name].poll() is None, (self.logs / f"{name}.log").read_text()
            assert time.monotonic() < deadline, f"worker {name} did not connect"
            time.sleep(0.05)

    def kill(self, name: str) -> None:
        os.kill(self.procs[name].pid, signal.SIGKILL)
        self.procs[name].wait(10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(20)
