"""The officers' review page over a real store: real signed evidence folders (the evidence
builder's JPEGs and clip), ingested by the real back office ingest, shown and decided on through
the app in-process by a signed-in officer."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import httpx
import pytest
from fastapi.testclient import TestClient

from backoffice.review import ReviewOptions, create_review_app, render_record
from backoffice.store import Store
from edge.ledger.keys import load_public_keys
from edge.ledger.verify import verify_path
from tests.backoffice.kit import ORIGIN, Office, csrf_of, log_in


@pytest.fixture
def client(office: Office) -> TestClient:
    app = create_review_app(ReviewOptions(office.data, load_public_keys(office.keys)))
    client = TestClient(app, base_url="http://127.0.0.1")  # loopback: only loopback Host names pass
    assert log_in(client, "sari").status_code == 303
    return client


def decide(client: TestClient, event_id: str, origin: str | None = ORIGIN, csrf: str | None = None,
           **form: str) -> httpx.Response:
    token = csrf if csrf is not None else csrf_of(client.get(f"/records/{event_id}").text)
    headers = {"content-type": "application/x-www-form-urlencoded", **({"origin": origin} if origin else {})}
    return client.post(f"/records/{event_id}/review", content=str(httpx.QueryParams({**form, "csrf": token})),
                       headers=headers, follow_redirects=False)


def test_the_list_shows_what_waits_for_review(client: TestClient, office: Office) -> None:
    page = client.get("/").text
    assert page.count('href="/records/') == 3 and "pending (3)" in page
    assert page.count("/thumbnail") == 3 and "unreadable" in page  # plates off in these records
    assert client.get("/?status=approved").text.count('href="/records/') == 0
    assert client.get("/?status=everything").status_code == 422


def test_a_record_page_shows_verified_evidence_and_serves_only_listed_media(
    client: TestClient, office: Office,
) -> None:
    event_id = office.event_ids[0]
    page = client.get(f"/records/{event_id}").text
    assert "id=verified class=ok" in page and "UU 22/2009 Pasal 287 ayat (2)" in page
    assert "time_into_red_s" in page and "not reviewed yet" in page and "<form id=decide" in page
    assert "not a live clock: times are taken from the recording (clip_start_time)" in page  # words, no dict
    stored = office.data / "records"
    for name in ("overview_at.jpg", "clip.mp4"):
        served = client.get(f"/records/{event_id}/media/{name}")
        assert served.status_code == 200
        assert served.content == next(stored.rglob(f"{event_id}/{name}")).read_bytes()
    assert client.get(f"/records/{event_id}/media/clip.mp4").headers["content-type"] == "video/mp4"
    assert client.get(f"/records/{event_id}/thumbnail").content == next(stored.rglob(f"{event_id}/vehicle.jpg")
                                                                         ).read_bytes()
    assert client.get(f"/records/{event_id}/media/event.jws").status_code == 404  # not a listed medium
    assert client.get(f"/records/{event_id}/media/..%2Fevent.json").status_code == 404
    assert client.get("/records/no-such-event").status_code == 404


def test_the_clip_plays_in_a_browser_through_a_webm_copy_outside_the_evidence(
    client: TestClient, office: Office, tmp_path: Path,
) -> None:
    event_id = office.event_ids[0]
    served = client.get(f"/records/{event_id}/clip.webm")
    assert served.status_code == 200 and served.headers["content-type"] == "video/webm"
    (copy,) = (office.data / "derived").glob("*.webm")
    assert served.content == copy.read_bytes()
    assert not list((office.data / "records").rglob("*.webm"))  # the evidence folders are untouched
    (tmp_path / "got.webm").write_bytes(served.content)
    video = cv2.VideoCapture(str(tmp_path / "got.webm"))
    try:
        frames = 0
        while video.read()[0]:
            frames += 1
    finally:
        video.release()
    assert frames == 41  # the whole clip: 2 s before the act, the act, 2 s after, at 10 fps
    made = copy.stat().st_mtime_ns
    assert client.get(f"/records/{event_id}/clip.webm").content == served.content
    assert copy.stat().st_mtime_ns == made  # made once, then served from derived/


def test_the_time_source_is_shown_and_an_unsynchronised_clock_plainly(client: TestClient, office: Office) -> None:
    event_id = office.event_ids[0]
    assert "id=time class=muted" in client.get(f"/records/{event_id}").text  # a replay: clip_start_time
    store = Store.open(office.data)
    record = store.get(event_id)
    assert record is not None
    folder = store.root / record.path
    event = json.loads((folder / "event.json").read_text())
    report = verify_path(folder, load_public_keys(office.keys))
    event["clock"] = {"source": "chrony", "synced": False, "offset_s": None}
    page = render_record(record, event, [], report)
    assert "id=time class=bad" in page and "NOT synchronised (chrony, offset unknown)" in page
    event["clock"] = {"source": "chrony", "synced": True, "offset_s": -0.00012}
    page = render_record(record, event, [], report)
    assert "id=time" not in page and "synchronised (chrony, offset 0.1 ms behind)" in page


def test_decisions_are_recorded_with_the_signed_in_officer_and_reason(client: TestClient, office: Office) -> None:
    first, second, _ = office.event_ids
    assert decide(client, first, decision="approved").status_code == 303
    assert decide(client, second, decision="rejected", reason="").status_code == 422
    assert decide(client, second, decision="maybe").status_code == 422
    assert decide(client, second, decision="rejected", reason="plate hidden by a motorcycle").status_code == 303
    assert "pending (1)" in client.get("/").text
    page = client.get(f"/records/{second}").text
    assert "sari: <b>rejected</b> (was pending) — plate hidden by a motorcycle" in page
    # A later decision stands; the earlier one stays in the history, with the state it changed.
    assert decide(client, second, decision="approved", reason="plate read off the clip").status_code == 303
    page = client.get(f"/records/{second}").text
    assert "sari: <b>approved</b> (was rejected) — plate read off the clip" in page
    assert page.index("<b>rejected</b>") < page.index("<b>approved</b>")
    assert client.get("/?status=approved").text.count('href="/records/') == 2


def test_a_decision_from_another_page_or_without_the_session_token_is_refused(
    client: TestClient, office: Office,
) -> None:
    event_id = office.event_ids[0]
    assert decide(client, event_id, origin=None, decision="approved").status_code == 403
    assert decide(client, event_id, origin="http://evil.example", decision="approved").status_code == 403
    assert decide(client, event_id, csrf="forged", decision="approved").status_code == 403
    assert "not reviewed yet" in client.get(f"/records/{event_id}").text


def test_tampered_evidence_is_flagged_and_cannot_be_decided(client: TestClient, office: Office) -> None:
    event_id = office.event_ids[2]
    token = csrf_of(client.get(f"/records/{event_id}").text)
    victim = next((office.data / "records").rglob(f"{event_id}/overview_at.jpg"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    page = client.get(f"/records/{event_id}").text
    assert "FAILS verification" in page and "media_sha256: overview_at.jpg" in page and "<form id=decide" not in page
    assert decide(client, event_id, csrf=token, decision="approved").status_code == 409
