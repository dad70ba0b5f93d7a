"""The outbox disk budget: a violation that does not fit is not stored, never blocks the pipeline,
and is declared in a signed gap record that keeps its metadata and reaches the back office."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

from backoffice.store import Store
from edge.core import Violation
from edge.ledger.keys import load_public_keys
from edge.ledger.signing import unverified_payload
from edge.ledger.verify import verify_path
from edge.mqtt.config import BrokerConfig
from tests.brokers import Mosquitto
from tests.delivery.kit import InProcessBox, Subscriber, box_config, start_backoffice, wait_for
from tests.delivery.synth import CAMERA, DEVICE_ID, SITE


def violation(track: int) -> Violation:
    return Violation(kind="red_light", track_id=track, vehicle_class="motorcycle", confidence=0.73, lane="l2",
                     feature="s1", detected_at=datetime(2026, 1, 15, 1, 2, 3, tzinfo=UTC), frame_index=1234,
                     before_frame=1230, box=(1.0, 2.0, 3.0, 4.0))


def test_a_full_budget_sheds_the_new_violation_into_a_signed_gap(
    workdir: Path, broker: Mosquitto, broker_config: BrokerConfig,
) -> None:
    broker.kill()  # the uplink is down: undelivered evidence piles up
    box = InProcessBox.open(workdir, box_config(broker.port, disk_budget_mb=0.004))
    try:
        box.delivery.start()
        assert box.delivery.admit(violation(1))  # under budget: the pipeline goes on to store it
        box.emit(2, media_bytes=1500)  # now over 4 KiB
        started = time.perf_counter()
        assert not box.delivery.admit(violation(17))
        assert time.perf_counter() - started < 1.0  # no waiting on the network
        [gap_file] = sorted(box.root.glob("gap-*.jws"))
        gap = unverified_payload(gap_file.read_text())
        assert gap["missing"] == {"first": 3, "last": 3} and gap["device"]["seq"] == 4
        assert "outbox disk budget reached" in gap["reason"]
        assert ("violation not stored: red_light at 2026-01-15T01:02:03.000+00:00 lane l2 motorcycle track 17 "
                "confidence 0.73 frame 1234") in gap["reason"]
        assert box.delivery.shed == 1
        wait_for("the gap to be queued too", lambda: box.delivery.progress().depth == 3)
        assert verify_path(box.root, load_public_keys(workdir / "keys")).ok  # the chain explains the hole

        watcher = Subscriber(broker_config)
        broker.start()
        watcher.start(f"etle/v1/{SITE}/{CAMERA}/status")
        receiver = start_backoffice(workdir, broker_config)
        try:
            wait_for("the outbox to drain", lambda: box.delivery.progress().depth == 0)
            wait_for("a status naming the shed violation", lambda: any(
                json.loads(p)["outbox"]["shed"] == 1 for p in watcher.on(f"etle/v1/{SITE}/{CAMERA}/status")))
        finally:
            receiver.stop()
            watcher.stop()
        assert box.delivery.admit(violation(18))  # delivered and deleted: there is room again
    finally:
        box.close()
    store = Store.open(workdir / "backoffice")
    try:
        chain = store.chain(DEVICE_ID)
        assert (chain.first, chain.last, chain.count, chain.declared_lost, chain.missing) == (1, 4, 3, 1, ())
        assert verify_path(store.device_dir(DEVICE_ID), load_public_keys(workdir / "keys")).ok
    finally:
        store.close()
