"""The officers' review page over a real store: real signed evidence folders (the evidence
builder's JPEGs and clip), ingested by the real back office ingest, shown and decided on through
the app in-process, and once in real headless Chromium against `python -m backoffice review`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from backoffice.ingest import Ingest, IngestConfig
from backoffice.review import ReviewOptions, create_review_app, render_record
from backoffice.store import Store
from edge.contract.topics import Topics, parse_topic
from edge.delivery.records import messages, read_entry
from edge.ledger.keys import load_public_keys
from edge.ledger.verify import verify_path
from edge.sources import Frame
from tests.brokers import free_port
from tests.builders import T0, sealer
from tests.builders import violation_at as violation
from tests.conftest import ROOT
from tests.evidence.test_folders import builder

PREFIX = "etle/v1"


@dataclass(frozen=True)
class Office:
    data: Path
    keys: Path
    event_ids: tuple[str, ...]


def scene(i: int) -> Frame:
    """A frame with a picture in it (a gradient that moves), so a browser has something to draw."""
    ramp = np.add.outer(np.arange(720), np.arange(1280) + 8 * i) % 256
    image = np.dstack([ramp, ramp[::-1], np.full_like(ramp, 90)]).astype(np.uint8)
    return Frame(image=image, index=i, captured_at=T0 + timedelta(seconds=i / 10))


@pytest.fixture
def office(tmp_path: Path) -> Office:
    """Three signed red-light events, stored by the back office as if they came over MQTT."""
    seal = sealer(tmp_path)
    box = builder(tmp_path, tmp_path / "box", seal, clip=True)
    records = []
    for i in range(80):
        records += box.on_frame(scene(i))
        if i in (30, 40, 50):
            box.add(violation(i))
    records += box.flush()
    seal.close()
    assert len(records) == 3
    store = Store.open(tmp_path / "office")
    try:
        ingest = Ingest(store, load_public_keys(tmp_path / "keys"), IngestConfig())
        for record in records:
            entry, _ = read_entry(record.folder.parent, record.folder.name)
            site, camera = record.event["site"]["id"], record.event["camera_id"]  # type: ignore[index]
            for message in messages(record.folder.parent, entry, Topics(PREFIX, str(site), str(camera))):
                ref = parse_topic(PREFIX, message.topic)
                assert ref is not None
                handle = ingest.on_media if ref.channel == "media" else ingest.on_record
                answers = handle(ref, message.payload, time.time())
            assert [a.receipt.status for a in answers] == ["stored"]
    finally:
        store.close()
    return Office(tmp_path / "office", tmp_path / "keys", tuple(r.event_id for r in records))


@pytest.fixture
def client(office: Office) -> TestClient:
    app = create_review_app(ReviewOptions(office.data, load_public_keys(office.keys)))
    return TestClient(app, base_url="http://127.0.0.1")  # loopback: only loopback Host names pass


def decide(client: TestClient, event_id: str, origin: str | None = "http://127.0.0.1",
           **form: str) -> httpx.Response:
    headers = {"content-type": "application/x-www-form-urlencoded", **({"origin": origin} if origin else {})}
    return client.post(f"/records/{event_id}/review", content=httpx.QueryParams(form).__str__(), headers=headers,
                       follow_redirects=False)


def test_the_list_shows_what_waits_for_review_and_the_chain(client: TestClient, office: Office) -> None:
    page = client.get("/").text
    assert page.count("/records/") == 3 and "pending (3)" in page
    assert "seq 1..3, <span class=ok>continuous</span>" in page
    assert client.get("/?show=approved").text.count("/records/") == 0
    assert client.get("/?show=everything").status_code == 422


def test_a_record_page_shows_verified_evidence_and_serves_only_listed_media(
    client: TestClient, office: Office,
) -> None:
    event_id = office.event_ids[0]
    page = client.get(f"/records/{event_id}").text
    assert "id=verified class=ok" in page and "UU 22/2009 Pasal 287 ayat (2)" in page
    assert "time_into_red_s" in page and "not reviewed yet" in page and "<form method=post" in page
    stored = office.data / "records"
    for name in ("overview_at.jpg", "clip.mp4"):
        served = client.get(f"/records/{event_id}/media/{name}")
        assert served.status_code == 200
        assert served.content == next(stored.rglob(f"{event_id}/{name}")).read_bytes()
    assert client.get(f"/records/{event_id}/media/clip.mp4").headers["content-type"] == "video/mp4"
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
    try:
        record = store.get(event_id)
        assert record is not None
        folder = store.root / record.path
        event = json.loads((folder / "event.json").read_text())
        report = verify_path(folder, load_public_keys(office.keys))
    finally:
        store.close()
    event["clock"] = {"source": "chrony", "synced": False, "offset_s": None}
    page = render_record(record, event, [], report)
    assert "id=time class=bad" in page and "NOT synchronised" in page
    event["clock"] = {"source": "chrony", "synced": True, "offset_s": 0.0004}
    assert "id=time" not in render_record(record, event, [], report)


def test_decisions_are_recorded_with_officer_and_reason(client: TestClient, office: Office) -> None:
    first, second, _ = office.event_ids
    assert decide(client, first, decision="approved", officer="Bripka Sari").status_code == 303
    assert decide(client, second, decision="rejected", officer="Bripka Sari", reason="").status_code == 422
    assert decide(client, second, decision="rejected", officer="", reason="plate unreadable").status_code == 422
    assert decide(client, second, decision="maybe", officer="Bripka Sari").status_code == 422
    assert decide(client, second, decision="rejected", officer="Aipda Budi",
                  reason="plate hidden by a motorcycle").status_code == 303
    assert "pending (1)" in client.get("/").text
    page = client.get(f"/records/{second}").text
    assert "Aipda Budi: <b>rejected</b> — plate hidden by a motorcycle" in page
    # A later decision stands; the earlier one stays in the history.
    assert decide(client, second, decision="approved", officer="Kompol Rina", reason="plate read off the clip"
                  ).status_code == 303
    page = client.get(f"/records/{second}").text
    assert page.index("Aipda Budi") < page.index("Kompol Rina")
    assert client.get("/?show=approved").text.count("/records/") == 2


def test_a_decision_from_another_page_is_refused(client: TestClient, office: Office) -> None:
    """On loopback there is no token: the Origin check keeps a page elsewhere from approving."""
    event_id = office.event_ids[0]
    assert decide(client, event_id, origin=None, decision="approved", officer="x").status_code == 403
    assert decide(client, event_id, origin="http://evil.example", decision="approved", officer="x").status_code == 403
    assert "not reviewed yet" in client.get(f"/records/{event_id}").text


def test_tampered_evidence_is_flagged_and_cannot_be_decided(client: TestClient, office: Office) -> None:
    event_id = office.event_ids[2]
    victim = next((office.data / "records").rglob(f"{event_id}/overview_at.jpg"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    page = client.get(f"/records/{event_id}").text
    assert "FAILS verification" in page and "media_sha256: overview_at.jpg" in page and "<form" not in page
    assert decide(client, event_id, decision="approved", officer="Bripka Sari").status_code == 409


@pytest.fixture
def review_server(office: Office) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "backoffice", "review", "--data", str(office.data), "--keys",
               str(office.keys), "--port", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip().removeprefix("open ")
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, f"review page did not start: {url}"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_an_officer_reviews_in_a_real_browser(review_server: str, office: Office, chrome: webdriver.Chrome) -> None:
    chrome.get(review_server)
    links = chrome.find_elements(By.CSS_SELECTOR, "#records a")
    assert len(links) == 3
    links[0].click()
    WebDriverWait(chrome, 20).until(lambda d: d.find_elements(By.ID, "verified"))
    assert chrome.find_element(By.ID, "verified").get_attribute("class") == "ok"
    images = chrome.find_elements(By.TAG_NAME, "img")
    assert len(images) >= 5  # and every one of them really loads:
    loaded = "return arguments[0].complete && arguments[0].naturalWidth"
    WebDriverWait(chrome, 20).until(lambda d: all(d.execute_script(loaded, img) > 0 for img in images))
    video = chrome.find_element(By.ID, "clipview")
    deadline = time.monotonic() + 20
    while chrome.execute_script("return arguments[0].readyState", video) < 1:  # HAVE_METADATA
        assert chrome.execute_script("return arguments[0].error", video) is None, "the browser cannot play the clip"
        assert time.monotonic() < deadline, "the clip's metadata never loaded"
        time.sleep(0.1)
    assert chrome.execute_script("return arguments[0].duration", video) == pytest.approx(4.1, abs=0.15)
    chrome.find_element(By.NAME, "officer").send_keys("Bripka Sari")
    chrome.find_element(By.NAME, "reason").send_keys("red light, plate readable on the close-up")
    chrome.find_element(By.CSS_SELECTOR, "button[value=approved]").click()
    # The post answers with a redirect to the record page: wait for the new page, not the old one.
    after_post = WebDriverWait(chrome, 20, ignored_exceptions=(StaleElementReferenceException,))
    after_post.until(lambda d: "Bripka Sari: approved" in d.find_element(By.ID, "history").text)
    assert "Bripka Sari: approved — red light, plate readable on the close-up" in (
        chrome.find_element(By.ID, "history").text)
    chrome.get(review_server)
    assert "approved (1)" in chrome.find_element(By.TAG_NAME, "nav").text
    assert len(chrome.find_elements(By.CSS_SELECTOR, "#records a")) == 2  # pending ones
