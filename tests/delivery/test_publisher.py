"""The box's publisher against a real mosquitto and the reference back office: receipts, not
PUBACKs, delete; an outage fills the outbox and it drains in order; junk receipts are ignored;
rejections are kept; the retained status, its last will, and the clean stop."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from backoffice.store import Store
from edge.contract.receipts import Receipt
from edge.delivery.outbox import Outbox
from edge.mqtt.config import BrokerConfig
from tests.brokers import Mosquitto
from tests.delivery.kit import InProcessBox, Subscriber, box_config, kill_for_the_will, start_backoffice, wait_for
from tests.delivery.synth import CAMERA, SITE

BASE = f"etle/v1/{SITE}/{CAMERA}"


def states(box: InProcessBox) -> dict[str, str]:
    outbox = Outbox.open(box.delivery.outbox_path)
    try:
        return {row.entry.event_id: row.state for row in outbox.rows()}
    finally:
        outbox.close()


def test_a_puback_is_not_a_receipt(workdir: Path, broker: Mosquitto, broker_config: BrokerConfig) -> None:
    watcher = Subscriber(broker_config).start(f"{BASE}/violation", f"{BASE}/media/#")
    box = InProcessBox.open(workdir, box_config(broker.port, resend_after_s=1.0))
    try:
        box.delivery.start()
        records = box.emit(5)
        wait_for("the broker to pass every record on", lambda: len(watcher.on(f"{BASE}/violation")) >= 5)
        time.sleep(0.5)  # every PUBACK is in by now
        assert set(states(box).values()) == {"sent"} and all(r.folder.exists() for r in records)
        assert len([t for t, _, _ in watcher.messages if "/media/" in t]) >= 10  # media before each event
        receiver = start_backoffice(workdir, broker_config)
        try:
            wait_for("receipts for every record", lambda: box.delivery.progress().depth == 0)
            wait_for("deletion after the receipts", lambda: not any(r.folder.exists() for r in records))
        finally:
            receiver.stop()
        assert states(box) == {}
    finally:
        box.close()
        watcher.stop()


def test_an_outage_fills_the_outbox_which_then_drains_in_order(
    workdir: Path, broker: Mosquitto, broker_config: BrokerConfig,
) -> None:
    broker.kill()
    receiver = start_backoffice(workdir, broker_config)
    # Receipted rows kept (retention) so their publish attempts can be read afterwards.
    box = InProcessBox.open(workdir, box_config(broker.port, resend_after_s=5.0, inflight_records=8, retention_s=3600))
    try:
        box.delivery.start()
        records = box.emit(40)
        time.sleep(0.5)
        progress = box.delivery.progress()
        assert not progress.connected and progress.depth == 40 and progress.outbox is not None
        assert progress.outbox.oldest_age_s is not None and progress.outbox.held_bytes > 40 * 512
        started = time.monotonic()
        broker.start()
        wait_for("the outbox to drain", lambda: box.delivery.progress().depth == 0)
        drained_s = time.monotonic() - started
    finally:
        box.close()
        receiver.stop()
    store = Store.open(workdir / "backoffice")
    try:
        stored = sorted(store.records(), key=lambda r: r.received_at)
    finally:
        store.close()
    outbox = Outbox.open(box.root / ".outbox.sqlite")
    try:
        attempts = {row.entry.event_id: row.attempts for row in outbox.rows()}
    finally:
        outbox.close()
    assert sorted(r.event_id for r in stored) == sorted(r.event_id for r in records)  # each once
    # Sent oldest first: the records published once arrive in seq order. (The broker keeps no
    # session across its kill here, so one published before the back office had subscribed
    # again is lost to it and arrives later, when resent; that is the receipt's job.)
    once = {r.event_id for r in records if attempts[r.event_id] == 1}
    assert [r.event_id for r in stored if r.event_id in once] == [r.event_id for r in records if r.event_id in once]
    assert len(once) >= len(records) // 2
    assert drained_s < 20


def test_malformed_and_foreign_receipts_are_ignored(
    workdir: Path, broker: Mosquitto, broker_config: BrokerConfig, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="edge.delivery")
    office = Subscriber(broker_config).start()
    box = InProcessBox.open(workdir, box_config(broker.port, resend_after_s=3.0))
    try:
        box.delivery.start()
        first, second = box.emit(2)
        wait_for("both records sent", lambda: set(states(box).values()) == {"sent"})
        for junk in (b"not json", b"{}", b"[1, 2]", b'{"event_id": "e", "status": "maybe", "reason": null}',
                     Receipt("no-such-event", "stored").encode(), Receipt("no-such-event", "rejected", "x").encode()):
            office.publish(f"{BASE}/receipt", junk)
        office.publish(f"etle/v1/{SITE}/cam-99/receipt", Receipt(first.event_id, "stored").encode())  # not ours
        office.publish(f"etle/v1/other-site/{CAMERA}/receipt", Receipt(second.event_id, "stored").encode())
        wait_for("the junk to be looked at", lambda: box.delivery.progress().ignored_receipts >= 6)
        assert set(states(box).values()) == {"sent"}  # nothing settled, the publisher still runs
        office.publish(f"{BASE}/receipt", Receipt(first.event_id, "stored").encode())
        wait_for("the real receipt", lambda: first.event_id not in states(box))
        assert states(box) == {second.event_id: "sent"}
        assert "malformed receipt" in caplog.text and "matched no record awaiting one" in caplog.text
    finally:
        box.close()
        office.stop()


def test_a_rejected_record_is_kept_and_reported(
    workdir: Path, broker: Mosquitto, broker_config: BrokerConfig, backoffice: object,
) -> None:
    watcher = Subscriber(broker_config).start(f"{BASE}/status")
    box = InProcessBox.open(workdir, box_config(broker.port, resend_after_s=1.0))
    try:
        (good, bad) = box.emit(2)
        victim = bad.folder / "vehicle.bin"
        victim.write_bytes(b"\x00" + victim.read_bytes()[1:])  # after signing: the back office must notice
        box.delivery.start()
        wait_for("both answers", lambda: box.delivery.progress().depth == 0)
        time.sleep(2.5)  # more than the resend timeout: a rejected record is not sent again
        progress = box.delivery.progress()
        assert states(box) == {bad.event_id: "rejected"} and bad.folder.exists() and not good.folder.exists()
        assert progress.published >= 2 and (progress.stored, progress.rejected) == (1, 1)
        wait_for("a degraded status", lambda: any(json.loads(p).get("state") == "degraded"
                                                  for p in watcher.on(f"{BASE}/status")))
        last = json.loads(watcher.on(f"{BASE}/status")[-1])
        assert last["outbox"]["rejected"] == 1
        assert "1 record(s) rejected by the back office (kept on the box)" in last["faults"]
    finally:
        box.close()
        watcher.stop()
    store = Store.open(workdir / "backoffice")
    try:
        [(event_id, _, _, reason)] = store.rejections()
    finally:
        store.close()
    assert event_id == bad.event_id and "media_sha256: vehicle.bin" in reason


def test_status_is_retained_with_a_last_will_and_a_clean_stop(
    workdir: Path, broker: Mosquitto, broker_config: BrokerConfig,
) -> None:
    box = InProcessBox.open(workdir, box_config(broker.port))
    box.delivery.start()
    wait_for("the connection", lambda: box.delivery.progress().connected)
    time.sleep(0.3)
    late = Subscriber(broker_config).start(f"{BASE}/status")  # subscribes after the fact: retained
    wait_for("the retained status", lambda: bool(late.on(f"{BASE}/status")))
    online = json.loads(late.on(f"{BASE}/status")[0])
    assert online["state"] == "online" and online["device_id"] == "etle-test-0001"
    assert online["kid"] == box.sealer.kid and online["outbox"]["depth"] == 0
    box.close()
    wait_for("the stopped status", lambda: json.loads(late.on(f"{BASE}/status")[-1])["state"] == "stopped")
    late.stop()

    watcher = Subscriber(broker_config).start(f"{BASE}/status")
    try:
        kill_for_the_will(workdir, broker.port, watcher, f"{BASE}/status")
    finally:
        watcher.stop()
    retained = Subscriber(broker_config).start(f"{BASE}/status")
    wait_for("the retained will", lambda: bool(retained.on(f"{BASE}/status")))
    assert json.loads(retained.on(f"{BASE}/status")[0]) == {"state": "offline"}
    retained.stop()
