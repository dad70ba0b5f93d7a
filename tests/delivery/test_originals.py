"""Withheld originals over a real mosquitto (issue 16): an event published with its redacted copy
only is verified and stored by the reference back office (the original named as withheld), and
the original is sent on request, on its own topics, checked against its signed hash and audited."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from backoffice.receiver import Receiver
from edge.contract.originals import OriginalRequest
from edge.contract.topics import Topics
from edge.ledger.store import write_event_folder
from edge.ledger.tombstone import AUDIT_FILE
from edge.mqtt.config import BrokerConfig
from tests.delivery.kit import InProcessBox, Subscriber, box_config, wait_for
from tests.delivery.synth import CAMERA, SITE, Written, event_document

TOPICS = Topics("etle/v1", SITE, CAMERA)
ORIGINAL, COPY = b"\xff\xd8 the original, faces and all", b"\xff\xd8 the redacted copy"


def emit_redacted(box: InProcessBox) -> Written:
    """One event as `privacy.publish: redacted` writes it: the copy in media, the original withheld."""
    event_id = "0b7c9a52-5d0e-4c61-9a51-3f1f3c7e2a10"
    doc = event_document(box.template, event_id, 1, {"overview_at.redacted.jpg": COPY})
    doc["media"][0].update(variant="redacted", source="overview_at.jpg", content_type="image/jpeg")
    doc["withheld"] = [{**doc["media"][0], "name": "overview_at.jpg", "variant": "original",
                        "sha256": hashlib.sha256(ORIGINAL).hexdigest(), "bytes": len(ORIGINAL)}]
    del doc["withheld"][0]["source"]
    sealed = box.sealer.seal(event_id, doc)
    files = {"overview_at.redacted.jpg": COPY, "overview_at.jpg": ORIGINAL, "event.jws": sealed.jws.encode("ascii")}
    folder = write_event_folder(box.root, event_id, files, sealed.event)
    box.sealer.commit(sealed)
    record = Written(event_id, folder)
    box.delivery.stored(record)
    return record


def request(name: str, request_id: str, event_id: str) -> bytes:
    return OriginalRequest(request_id, event_id, name, "officer-7", "court hearing").encode()


def test_withheld_original_is_stored_without_it_then_sent_on_request(
        workdir: Path, broker_config: BrokerConfig, backoffice: Receiver) -> None:
    box = InProcessBox.open(workdir, box_config(broker_config.port, retention_s=3600))
    officer = Subscriber(broker_config).start(f"{TOPICS.base}/original/#", f"{TOPICS.base}/media/#")
    try:
        box.delivery.start()
        record = emit_redacted(box)
        wait_for("the receipt", lambda: box.delivery.progress().stored == 1)
        stored = workdir / "backoffice" / "records"
        assert sorted(p.name for p in stored.rglob(f"{record.event_id}/*")) == [
            "event.json", "event.jws", "overview_at.redacted.jpg"]  # the original never left the box
        assert officer.on(TOPICS.media(record.event_id, "overview_at.jpg")) == []

        officer.publish(TOPICS.original_request, request("overview_at.jpg", "r1", record.event_id))
        officer.publish(TOPICS.original_request, request("overview_at.redacted.jpg", "r2", record.event_id))
        officer.publish(TOPICS.original_request, request("overview_at.jpg", "r3", "no-such-event"))
        officer.publish(TOPICS.original_request, b'{"event_id": "x"}')  # malformed: no answer at all
        wait_for("three answers", lambda: len(officer.on(TOPICS.original_answer)) == 3)
        answers = {a["request_id"]: a for a in map(json.loads, officer.on(TOPICS.original_answer))}
        assert answers["r1"]["status"] == "sent"
        assert answers["r1"]["sha256"] == hashlib.sha256(ORIGINAL).hexdigest()
        assert officer.on(TOPICS.original(record.event_id, "overview_at.jpg")) == [ORIGINAL]
        assert (answers["r2"]["status"], answers["r2"]["reason"]) == (
            "unavailable", "the event binds no original named overview_at.redacted.jpg")
        assert answers["r3"]["status"] == "unavailable" and "not on the box" in answers["r3"]["reason"]
        audit = [json.loads(line) for line in (box.root / AUDIT_FILE).read_text().splitlines()]
        assert [(a["action"], a["request_id"], a["requested_by"]) for a in audit] == [
            ("original_sent", "r1", "officer-7"), ("original_unavailable", "r2", "officer-7"),
            ("original_unavailable", "r3", "officer-7")]
    finally:
        officer.stop()
        box.close()
