"""Several ingest workers on one MQTT 5 shared subscription, storing into PostgreSQL: real
mosquitto, real worker processes (`python -m backoffice worker`), real signed records from a fleet
of simulated boxes that resend what got no receipt. One worker is SIGKILLed mid-run and restarted
(as its supervisor would): nothing is lost, nothing is stored twice, every chain is continuous."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from backoffice.store import Store
from edge.ledger.keys import load_public_keys
from edge.ledger.verify import verify_path
from tests.brokers import Mosquitto
from tests.delivery.template import event_template
from tests.fleet import FleetPublisher, MediaMaker, Workers, make_fleet


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    with Mosquitto(tmp_path / "broker").start() as started:
        yield started


def test_two_workers_one_killed_mid_run_lose_nothing_and_store_nothing_twice(
    tmp_path: Path, broker: Mosquitto, pg_url: str,
) -> None:
    boxes = make_fleet(12, tmp_path / "keys" / "fleet.jwks.json")
    template, media = event_template(), MediaMaker()
    records = [box.sign(template, media.files(40_000)) for _ in range(8) for box in boxes]
    workers = Workers(broker.port, tmp_path / "keys", tmp_path / "office", pg_url)
    fleet = None
    try:
        workers.start("ingest-a")
        workers.start("ingest-b")
        fleet = FleetPublisher(broker.port, resend_after_s=8.0)
        for i, record in enumerate(records):
            fleet.publish(record)
            if i == len(records) // 3:
                workers.kill("ingest-a")  # in the middle of whatever it was doing
            if i == 2 * len(records) // 3:
                workers.start("ingest-a")  # its supervisor restarts it: same client id, same session
            time.sleep(0.04)
        assert fleet.wait_all(180), f"{fleet.outstanding} record(s) never got a receipt"
    finally:
        if fleet is not None:
            fleet.close()
        workers.stop_all()
    assert (fleet.stats.stored, fleet.stats.rejected) == (len(records), [])
    store = Store.open(tmp_path / "office", pg_url)
    stored = store.records()
    assert sorted(r.event_id for r in stored) == sorted(r.event_id for r in records)  # each exactly once
    keys = load_public_keys(tmp_path / "keys")
    for box in boxes:
        chain = store.chain(box.device_id)
        assert (chain.first, chain.last, chain.count, chain.continuous) == (1, 8, 8, True)
        report = verify_path(store.device_dir(box.device_id), keys)
        assert report.ok and report.records == 8, report.lines()
    logs = {p.stem: p.read_text() for p in workers.logs.glob("*.log")}
    assert all(" stored, " in text for text in logs.values()), logs  # both ended cleanly at the end
