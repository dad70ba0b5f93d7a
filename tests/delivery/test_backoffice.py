"""The reference back office on its own: a test client plays the box and publishes crafted records."""

from __future__ import annotations

import time
from pathlib import Path

from backoffice.receiver import Receiver
from backoffice.store import Store
from edge.contract.receipts import Receipt
from edge.contract.topics import Topics
from edge.delivery.records import Entry, messages, read_entry
from edge.ledger.seal import Sealer
from edge.mqtt.config import BrokerConfig
from tests.delivery.kit import Subscriber, wait_for
from tests.delivery.synth import CAMERA, DEVICE_ID, SITE, Written, emit, make_keys
from tests.delivery.template import event_template

TOPICS = Topics("etle/v1", SITE, CAMERA)


def signed(workdir: Path, n: int, key_dir: str = "keys") -> list[Written]:
    sealer = Sealer.open(workdir / key_dir, DEVICE_ID, "boot")
    try:
        return [emit(sealer, workdir / "evidence", i, event_template()) for i in range(1, n + 1)]
    finally:
        sealer.close()


def send(box: Subscriber, record: Written, topics: Topics = TOPICS, media: bool = True) -> Entry:
    entry = read_entry(record.folder.parent, record.folder.name)[0]
    for message in messages(record.folder.parent, entry, topics):
        if media or "/media/" not in message.topic:
            box.publish(message.topic, message.payload)
    return entry


def receipts(box: Subscriber, topics: Topics = TOPICS) -> list[Receipt]:
    return [Receipt.parse(p) for p in box.on(topics.receipt)]


def test_duplicates_are_stored_once_and_answered_again(
    workdir: Path, broker_config: BrokerConfig, backoffice: Receiver,
) -> None:
    box = Subscriber(broker_config).start(TOPICS.receipt)
    [record] = signed(workdir, 1)
    for _ in range(3):
        send(box, record)
    wait_for("three answers", lambda: len(receipts(box)) == 3)
    assert receipts(box) == [Receipt(record.event_id, "stored")] * 3
    store = Store.open(workdir / "backoffice")
    try:
        [stored] = store.records()
        assert (stored.event_id, stored.seq, stored.duplicates) == (record.event_id, 1, 2)
        assert (store.root / stored.path / "vehicle.bin").read_bytes() == (record.folder / "vehicle.bin").read_bytes()
    finally:
        store.close()
    box.stop()


def test_an_event_waits_for_media_that_come_late(
    workdir: Path, broker_config: BrokerConfig, backoffice: Receiver,
) -> None:
    box = Subscriber(broker_config).start(TOPICS.receipt)
    [record] = signed(workdir, 1)
    send(box, record, media=False)
    time.sleep(1.0)
    assert receipts(box) == []  # no media yet: no answer at all (a rejection would make the box give up)
    send(box, record)  # media, then the event again: the waiting event completes, the repeat is a duplicate
    wait_for("both answers", lambda: len(receipts(box)) == 2)
    assert receipts(box) == [Receipt(record.event_id, "stored")] * 2
    box.stop()


def test_what_no_resend_can_fix_is_rejected_with_the_reason(
    workdir: Path, broker_config: BrokerConfig, backoffice: Receiver,
) -> None:
    other_camera = Topics("etle/v1", SITE, "cam-99")
    box = Subscriber(broker_config).start(TOPICS.receipt, other_camera.receipt)
    tampered, misrouted = signed(workdir, 2)
    victim = tampered.folder / "overview_at.bin"
    victim.write_bytes(victim.read_bytes()[:-1] + b"\x00")
    send(box, tampered)
    send(box, misrouted, other_camera)
    make_keys(workdir / "stranger")
    [unknown] = signed(workdir, 1, key_dir="stranger")
    send(box, unknown)
    box.publish(TOPICS.violation, b"definitely not a JWS")
    wait_for("three rejections", lambda: len(receipts(box)) + len(receipts(box, other_camera)) == 3)
    reasons = {r.event_id: r.reason or "" for r in receipts(box) + receipts(box, other_camera)}
    assert all(r.status == "rejected" for r in receipts(box) + receipts(box, other_camera))
    assert "media_sha256: overview_at.bin" in reasons[tampered.event_id]
    assert f"published on {SITE}/cam-99 but the event is for {SITE}/{CAMERA}" in reasons[misrouted.event_id]
    assert "kid: no trusted public key" in reasons[unknown.event_id]
    assert backoffice.progress().stats.unanswerable == 1
    box.stop()
