"""The wire: receipts, topics and the status document, checked against docs/asyncapi.yaml."""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from edge.contract.receipts import MalformedReceiptError, Receipt
from edge.contract.topics import TopicError, TopicRef, Topics, parse_topic
from edge.core import ClockStatus
from edge.delivery.outbox import OutboxStats
from edge.delivery.status import OFFLINE_WILL, Delivered, Health, Identity, status_document
from tests.brokers import ROOT

ASYNCAPI = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())


def payload_schema(message: str) -> dict[str, Any]:
    schema: dict[str, Any] = ASYNCAPI["components"]["messages"][message]["payload"]
    return schema


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b'{"event_id": "e1", "status": "stored", "reason": null}', nullcontext(Receipt("e1", "stored"))),
        (b'{"event_id": "e1", "status": "rejected", "reason": "bad"}', nullcontext(Receipt("e1", "rejected", "bad"))),
        (b'{"event_id": "e1", "status": "rejected", "reason": null}',
         nullcontext(Receipt("e1", "rejected", "no reason given"))),
        (b"", pytest.raises(MalformedReceiptError, match="not JSON")),
        (b"\xff\xfe", pytest.raises(MalformedReceiptError, match="not JSON")),
        (b"[]", pytest.raises(MalformedReceiptError, match="exactly event_id")),
        (b'{"event_id": "e1", "status": "stored"}', pytest.raises(MalformedReceiptError, match="exactly")),
        (b'{"event_id": "", "status": "stored", "reason": null}', pytest.raises(MalformedReceiptError, match="empty")),
        (b'{"event_id": 7, "status": "stored", "reason": null}', pytest.raises(MalformedReceiptError)),
        (b'{"event_id": "e1", "status": "ok", "reason": null}', pytest.raises(MalformedReceiptError, match="status")),
        (b'{"event_id": "e1", "status": "stored", "reason": 3}', pytest.raises(MalformedReceiptError, match="reason")),
    ],
    ids=["stored", "rejected", "rejected without reason", "empty", "not utf-8", "a list", "no reason key",
         "empty id", "numeric id", "unknown status", "numeric reason"],
)
def test_receipts_parse_strictly(payload: bytes, expected: AbstractContextManager[Receipt]) -> None:
    with expected as receipt:
        assert Receipt.parse(payload) == receipt


def test_receipts_encode_to_the_contract() -> None:
    validator = Draft202012Validator(payload_schema("receipt"))
    for receipt in (Receipt("e1", "stored"), Receipt("e1", "rejected", "media_sha256")):
        assert not list(validator.iter_errors(json.loads(receipt.encode())))
        assert Receipt.parse(receipt.encode()) == receipt


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("etle/v1/s1/c1/violation", TopicRef("s1", "c1", "violation")),
        ("etle/v1/s1/c1/receipt", TopicRef("s1", "c1", "receipt")),
        ("etle/v1/s1/c1/media/e-1/a.jpg", TopicRef("s1", "c1", "media", "e-1", "a.jpg")),
        ("etle/v1/s1/c1/media/e-1", None),
        ("etle/v1/s1/c1/media/e-1/a/b", None),
        ("etle/v1/s1/violation", None),
        ("etle/v2/s1/c1/violation", None),
        ("etle/v1/s1/c1/unknown", None),
        ("etle/v1/s1/c1/violation/extra", None),
        ("", None),
    ],
)
def test_topics_parse(topic: str, expected: TopicRef | None) -> None:
    assert parse_topic("etle/v1", topic) == expected


@pytest.mark.parametrize(("site", "camera"), [("a/b", "c"), ("a", "+"), ("#", "c"), ("", "c"), ("a", "c d")])
def test_topics_refuse_ids_that_would_change_their_level(site: str, camera: str) -> None:
    with pytest.raises(TopicError, match="cannot be a topic level"):
        Topics("etle/v1", site, camera)


def test_media_topic_refuses_paths() -> None:
    with pytest.raises(TopicError, match="media name"):
        Topics("etle/v1", "s", "c").media("e1", "../event.jws")


def document(state: str = "online", health: Health | None = None, rejected: int = 0,
             site_faults: tuple[str, ...] = ()) -> dict[str, Any]:
    identity = Identity("dev-1", "s1", "c1", "0.1.0", kid="k" * 43, calibration_version=3,
                        calibration_sha256="c" * 64, models=(("vehicle_detector", "a" * 64),), site_faults=site_faults)
    stats = OutboxStats(depth=2, oldest_age_s=12.34, held_bytes=2048, rejected=rejected, missing=0, receipted_held=0)
    return status_document(state, identity, health or Health(), Delivered(True, stats), 10**9)  # type: ignore[arg-type]


def test_status_follows_the_contract() -> None:
    validator = Draft202012Validator(payload_schema("status"))
    healthy = Health(fps=9.9, camera="ok", last_frame_age_s=0.1, signals={"g1": "red"},
                     clock=ClockStatus("chrony", True, 0.001))
    for doc in (document(health=healthy), document("stopped"), document(rejected=1)):
        assert not [e.message for e in validator.iter_errors(doc)]
    assert not list(validator.iter_errors(json.loads(OFFLINE_WILL)))
    assert document(health=healthy)["state"] == "online"
    degraded = document(rejected=1)
    assert degraded["state"] == "degraded"
    assert degraded["faults"] == ["1 record(s) rejected by the back office (kept on the box)"]
    assert degraded["outbox"] == {"depth": 2, "oldest_age_s": 12.3, "bytes": 2048, "rejected": 1, "missing": 0,
                                  "shed": 0, "unsigned": 0}
    unsynced = document(health=Health(clock=ClockStatus("chrony", False, None)))
    assert "clock not synchronised" in unsynced["faults"]
    assert document()["judging"] is True


def test_a_fail_safe_box_says_so_in_its_status() -> None:
    validator = Draft202012Validator(payload_schema("status"))
    doc = document(site_faults=("calibration.stop_lines.0.lanes: unknown lane id 'lane-9'",))
    assert not [e.message for e in validator.iter_errors(doc)]
    assert doc["state"] == "degraded" and doc["judging"] is False
    assert doc["faults"] == ["fail-safe, no violation is judged: site file: calibration.stop_lines.0.lanes: "
                             "unknown lane id 'lane-9'"]


def test_a_tampered_view_and_a_lost_camera_each_say_so_once() -> None:
    moved = "fail-safe, no violation is judged: view: view shifted 40 px at the calibrated lanes and stop lines"
    doc = document(health=Health(camera="ok", last_frame_age_s=0.1, faults=(moved,), judging=False))
    assert doc["judging"] is False and doc["state"] == "degraded" and doc["faults"] == [moved]
    # A camera that stopped sending: its source says why, once; a stall without a reason is named too.
    lost = "camera: stream ended or stopped sending frames; reconnecting (attempt 2)"
    assert document(health=Health(camera="stalled", last_frame_age_s=9.0, faults=(lost,)))["faults"] == [lost]
    assert document(health=Health(camera="stalled", last_frame_age_s=9.0))["faults"] == ["camera: no frame for 9.0 s"]
