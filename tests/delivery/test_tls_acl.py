"""Mutual TLS and the deploy ACL (deploy/mosquitto/acl) on a real mosquitto, with certificates
from deploy/mosquitto/make-test-ca.sh: a box writes only under its own etle/v1/<site>/<camera>/
and reads only its own receipts; evidence still flows end to end."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge.backoff import Backoff
from edge.contract.receipts import Receipt
from edge.mqtt.config import BrokerConfig, TlsConfig
from edge.mqtt.connection import Connected, Connection, ConnectionEvent, Lost, Session
from tests.brokers import Mosquitto, make_test_ca, tls_lines
from tests.delivery.kit import InProcessBox, Subscriber, box_config, start_backoffice, wait_for

OWN, OTHER = "etle/v1/t-01/cam-01", "etle/v1/t-02/cam-02"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_test_ca(tmp_path_factory.mktemp("ca") / "ca", "t-01/cam-01", "t-02/cam-02")


@pytest.fixture
def tls_broker(tmp_path: Path, certs: Path) -> Iterator[Mosquitto]:
    with Mosquitto(tmp_path / "tls-broker", extra=tls_lines(certs)).start() as broker:
        yield broker


def as_(certs: Path, name: str, broker: Mosquitto) -> BrokerConfig:
    tls = TlsConfig(ca_file=certs / "ca.crt", cert_file=certs / f"{name}.crt", key_file=certs / f"{name}.key")
    return BrokerConfig(host="127.0.0.1", port=broker.port, tls=tls, keepalive_s=5, connect_timeout_s=3)


def test_a_box_cannot_write_or_read_under_another_box(certs: Path, tls_broker: Mosquitto) -> None:
    office = Subscriber(as_(certs, "backoffice", tls_broker)).start("etle/v1/+/+/violation", "etle/v1/+/+/status")
    box = Subscriber(as_(certs, "t-01__cam-01", tls_broker)).start(f"{OTHER}/receipt", f"{OWN}/receipt", "#")
    try:
        forged = box.publish(f"{OTHER}/violation", b"forged")
        box.publish(f"{OTHER}/status", b'{"state":"offline"}')
        own = box.publish(f"{OWN}/violation", b"own")
        office.publish(f"{OTHER}/receipt", Receipt("x", "stored").encode())
        office.publish(f"{OWN}/receipt", Receipt("y", "stored").encode())
        wait_for("the box's own traffic",
                 lambda: bool(office.on(f"{OWN}/violation")) and bool(box.on(f"{OWN}/receipt")))
        time.sleep(0.5)
        assert box.acks[forged] == "Not authorized" and box.acks[own] == "Success"
        assert office.on(f"{OTHER}/violation") == [] and office.on(f"{OTHER}/status") == []
        assert {t for t, _, _ in box.messages} == {f"{OWN}/receipt"}  # not even "#" shows it anything else
    finally:
        box.stop()
        office.stop()


def test_without_a_client_certificate_there_is_no_connection(certs: Path, tls_broker: Mosquitto) -> None:
    anonymous = BrokerConfig(host="127.0.0.1", port=tls_broker.port, tls=TlsConfig(ca_file=certs / "ca.crt"),
                             connect_timeout_s=3)
    link = Connection(Session(anonymous, "nobody", 60), Backoff(0.05, 0.1))
    events: list[ConnectionEvent] = []
    deadline = time.monotonic() + 10
    while not any(isinstance(e, Lost) for e in events) and time.monotonic() < deadline:
        events += link.step(0.05)
    assert any(isinstance(e, Lost) for e in events) and not any(isinstance(e, Connected) for e in events)


def test_evidence_flows_over_mutual_tls(workdir: Path, certs: Path, tls_broker: Mosquitto) -> None:
    receiver = start_backoffice(workdir, as_(certs, "backoffice", tls_broker))
    box = InProcessBox.open(workdir, box_config(tls_broker.port, broker=as_(certs, "t-01__cam-01", tls_broker)))
    try:
        box.delivery.start()
        records = box.emit(3)
        # The receipt settles the row first; the folder is deleted by the purge that follows it.
        wait_for("receipts over mTLS and the folders deleted",
                 lambda: box.delivery.progress().depth == 0 and not any(r.folder.exists() for r in records))
        assert receiver.progress().stats.stored == 3
    finally:
        box.close()
        receiver.stop()
