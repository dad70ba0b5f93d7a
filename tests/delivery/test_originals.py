"""Withheld originals over a real mosquitto (issue 16): an event published with its redacted copy
only is verified and stored by the reference back office (the original named as withheld), and
the original is sent on request, on its own topics, checked against its signed hash and audited;
a supervisor's opening in the review app makes the back office's receiver ask the box for it, and
it is kept only if it hashes to what the signed event binds."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from backoffice.access import Originals
from backoffice.receiver import Receiver
from backoffice.review import ReviewOptions, create_review_app
from backoffice.store import Store
from edge.contract.originals import OriginalRequest
from edge.contract.topics import Topics
from edge.ledger.keys import load_public_keys
from edge.ledger.store import write_event_folder
from edge.ledger.tombstone import AUDIT_FILE
from edge.ledger.verify import verify_path
from edge.mqtt.config import BrokerConfig
from tests.backoffice.kit import ORIGIN, add_officers, csrf_of, log_in
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


REASON = "court hearing PN Makassar 12/2026, plate dispute"


def supervisor(workdir: Path) -> TestClient:
    """The review app on the receiver's store, with a supervisor signed in."""
    data = workdir / "backoffice"
    add_officers(data)
    client = TestClient(create_review_app(ReviewOptions(data, load_public_keys(workdir / "keys"))),
                        base_url="http://127.0.0.1")
    assert log_in(client, "rina").status_code == 303
    return client


def open_original(client: TestClient, event_id: str, name: str) -> str:
    target = f"/records/{event_id}/originals/{name}"
    done = client.post(target, content=str(httpx.QueryParams(reason=REASON, csrf=csrf_of(client.get("/").text))),
                       headers={"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN},
                       follow_redirects=False)
    assert done.status_code == 303
    return target


def stored_redacted(workdir: Path, broker_config: BrokerConfig) -> tuple[InProcessBox, Written]:
    """A box that published one event with its original withheld, and got it receipted `stored`."""
    box = InProcessBox.open(workdir, box_config(broker_config.port, retention_s=3600))
    try:
        box.delivery.start()
        record = emit_redacted(box)
        wait_for("the receipt", lambda: box.delivery.progress().stored == 1)
    except BaseException:
        box.close()
        raise
    return box, record


def test_an_officer_fetches_a_withheld_original_from_the_box_through_the_back_office(
        workdir: Path, broker_config: BrokerConfig, backoffice: Receiver) -> None:
    box, record = stored_redacted(workdir, broker_config)
    try:
        client = supervisor(workdir)
        target = open_original(client, record.event_id, "overview_at.jpg")
        folder = next((workdir / "backoffice" / "records").rglob(record.event_id))
        wait_for("the original from the box", (folder / "overview_at.jpg").exists)
        assert 'id=original src="' in client.get(target).text
        assert client.get(target + "/file").content == ORIGINAL
        originals = Originals(Store.open(workdir / "backoffice"))
        fetch = originals.fetch(record.event_id, "overview_at.jpg")
        assert fetch is not None and fetch.status == "arrived"
        assert [a.action for a in originals.access_log()] == ["original_opened", "original_requested",
                                                              "original_arrived"]
        audit = [json.loads(line) for line in (box.root / AUDIT_FILE).read_text().splitlines()]
        assert [(a["action"], a["requested_by"], a["reason"]) for a in audit] == [("original_sent", "rina", REASON)]
        assert verify_path(folder, load_public_keys(workdir / "keys")).ok  # the original, checked where it lies
    finally:
        box.close()


def test_an_original_that_does_not_match_its_signed_hash_is_refused(
        workdir: Path, broker_config: BrokerConfig, backoffice: Receiver) -> None:
    box, record = stored_redacted(workdir, broker_config)
    box.close()  # from now on a forged box answers
    forger = Subscriber(broker_config).start(TOPICS.original_request)
    try:
        client = supervisor(workdir)
        target = open_original(client, record.event_id, "overview_at.jpg")
        wait_for("the request", lambda: bool(forger.on(TOPICS.original_request)))
        (asked,) = [OriginalRequest.parse(p) for p in forger.on(TOPICS.original_request)]
        assert (asked.event_id, asked.name, asked.requested_by, asked.reason) == (
            record.event_id, "overview_at.jpg", "rina", REASON)
        forger.publish(TOPICS.original(record.event_id, "overview_at.jpg"), ORIGINAL.replace(b"faces", b"FACES"))
        originals = Originals(Store.open(workdir / "backoffice"))
        wait_for("the refusal", lambda: getattr(originals.fetch(record.event_id, "overview_at.jpg"), "status",
                                                None) == "refused")
        folder = next((workdir / "backoffice" / "records").rglob(record.event_id))
        assert not (folder / "overview_at.jpg").exists()
        refused = originals.access_log()[-1]
        assert refused.action == "original_refused" and "is not the signed" in refused.reason
        assert "could not send it (refused)" in client.get(target).text
        forger.publish(TOPICS.original(record.event_id, "overview_at.jpg"), ORIGINAL)  # asked by nobody now
        time.sleep(1.0)
        assert not (folder / "overview_at.jpg").exists()
    finally:
        forger.stop()
