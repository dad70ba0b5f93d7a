"""Officers and what they may do: accounts from the command line, sign-in, roles, the queue's
filters and pages, the audit log, the devices view, and the confirmation letter (rendered to an
image with PDFium and checked)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import httpx
import numpy as np
import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient

from backoffice.accounts import AccountError, Accounts
from backoffice.letter import facts_of, pictures_of, render_letter
from backoffice.queue import FilterError, QueueFilter, read_queue
from backoffice.review import ReviewOptions, create_review_app
from backoffice.store import Store
from edge.ledger.keys import load_public_keys
from tests.backoffice.kit import ORIGIN, PASSWORD, Office, csrf_of, log_in
from tests.conftest import ROOT


def app_client(office: Office) -> TestClient:
    return TestClient(create_review_app(ReviewOptions(office.data, load_public_keys(office.keys))),
                      base_url="http://127.0.0.1")


def decide(client: TestClient, event_id: str, **form: str) -> httpx.Response:
    form["csrf"] = csrf_of(client.get(f"/records/{event_id}").text)
    return client.post(f"/records/{event_id}/review", content=str(httpx.QueryParams(form)),
                       headers={"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN},
                       follow_redirects=False)


def test_an_officer_added_on_the_command_line_signs_in(office: Office) -> None:
    command = [sys.executable, "-m", "backoffice", "officer", "--data", str(office.data), "--username", "budi",
               "--name", "Aipda Budi", "--role", "reviewer"]
    added = subprocess.run(command, input=f"{PASSWORD}\n", capture_output=True, text=True, cwd=ROOT, check=False)
    assert added.returncode == 0 and "added reviewer budi" in added.stdout, added.stderr
    again = subprocess.run(command, input=f"{PASSWORD}\n", capture_output=True, text=True, cwd=ROOT, check=False)
    assert again.returncode == 2 and "exists already" in again.stderr
    stored = Store.open(office.data).engine.connect().exec_driver_sql(
        "SELECT password_hash FROM officers WHERE username = 'budi'").scalar_one()
    assert str(stored).startswith("$argon2id$") and PASSWORD not in str(stored)
    client = app_client(office)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    assert "wrong username or password" in log_in(client, "budi", "not the password").text
    assert log_in(client, "budi").status_code == 303
    assert "Aipda Budi (reviewer)" in client.get("/").text


@pytest.mark.parametrize(("username", "role", "password", "message"), [
    ("Budi!", "reviewer", PASSWORD, "username"),
    ("budi", "chief", PASSWORD, "role"),
    ("budi", "reviewer", "short", "at least 12"),
])
def test_bad_accounts_are_refused_with_the_rule_they_break(office: Office, username: str, role: str, password: str,
                                                           message: str) -> None:
    with pytest.raises(AccountError, match=message):
        Accounts(Store.open(office.data)).add(username, "Aipda Budi", role, password)


def test_only_a_supervisor_reads_the_audit_log_with_who_when_what_and_from_which_state(office: Office) -> None:
    reviewer, supervisor = app_client(office), app_client(office)
    log_in(reviewer, "sari")
    log_in(supervisor, "rina")
    first = office.event_ids[0]
    assert decide(reviewer, first, decision="rejected", reason="plate hidden").status_code == 303
    assert decide(supervisor, first, decision="approved", reason="plate read off the clip").status_code == 303
    assert reviewer.get("/audit").status_code == 403
    audit = supervisor.get("/audit").text
    assert "Kompol Rina (rina)" in audit and "Bripka Sari (sari)" in audit
    assert audit.index("plate read off the clip") < audit.index("plate hidden")  # newest first
    assert "<td>rejected</td><td><b>approved</b></td>" in audit
    assert "<td>pending</td><td><b>rejected</b></td>" in audit


def test_the_queue_filters_and_pages(office: Office) -> None:
    store = Store.open(office.data)
    everything = read_queue(store, QueueFilter(status="all"))
    assert everything.total == 3 and everything.counts == {"pending": 3}
    record = everything.rows[0][0]
    day = str(record.detected_at)[:10]
    assert read_queue(store, QueueFilter(site=record.site, camera=record.camera, kind="red_light", date=day)).total == 3
    assert read_queue(store, QueueFilter(kind="speeding")).total == 0
    assert read_queue(store, QueueFilter(date="2001-01-01")).total == 0
    assert read_queue(store, QueueFilter(plate="B1234")).total == 0  # no plate was read in these records
    pages = [read_queue(store, QueueFilter(status="all", page=n), page_size=2) for n in (1, 2)]
    assert [len(p.rows) for p in pages] == [2, 1]
    assert {r.event_id for p in pages for r, _ in p.rows} == set(office.event_ids)
    for bad in ({"status": "maybe"}, {"date": "15/01/2026"}, {"plate": "B 12%"}, {"page": "0"}):
        with pytest.raises(FilterError):
            QueueFilter.parse(bad)


def test_the_letter_of_an_approved_violation(office: Office, tmp_path: Path) -> None:
    client = app_client(office)
    log_in(client, "sari")
    event_id = office.event_ids[1]
    assert client.get(f"/records/{event_id}/letter.pdf").status_code == 409  # not approved yet
    decide(client, event_id, decision="approved", reason="")
    served = client.get(f"/records/{event_id}/letter.pdf")
    assert served.status_code == 200 and served.content.startswith(b"%PDF")
    assert 'filename="ETLE-' in served.headers["content-disposition"]
    text, image = _read_pdf(served.content)
    assert "SURAT KONFIRMASI PELANGGARAN LALU LINTAS" in text and "UU 22/2009 Pasal 287 ayat (2)" in text
    assert "Melanggar isyarat lampu lalu lintas" in text and "Bripka Sari (sari)" in text
    assert "15 Januari 2026" in text and event_id in text and "tidak terbaca" in text
    assert _pictures(image) == 3  # overview, vehicle, annotated overview (no plate was read)


def test_the_letter_prints_the_plate_and_its_picture(office: Office, tmp_path: Path) -> None:
    """The office's records have no plate read (plates off): the letter of one that has."""
    store = Store.open(office.data)
    record = store.get(office.event_ids[0])
    assert record is not None
    folder = tmp_path / "record"
    shutil.copytree(store.root / record.path, folder)
    event = json.loads((folder / "event.json").read_text())
    event["plate"] = {"text": "DD1234AB", "formatted": "DD 1234 AB", "confidence": 0.97, "votes": 5}
    event["vehicle"]["class"] = "motorcycle"
    crop = np.full((60, 220, 3), 200, np.uint8)
    cv2.putText(crop, "DD 1234 AB", (8, 42), cv2.FONT_HERSHEY_SIMPLEX, 1.1, (20, 20, 20), 3)
    cv2.imwrite(str(folder / "plate.jpg"), crop)
    event["media"].append({"name": "plate.jpg", "role": "plate", "content_type": "image/jpeg"})
    text, image = _read_pdf(render_letter(facts_of(event, "Bripka Sari (sari)"), pictures_of(folder, event)))
    assert "DD 1234 AB" in text and "Sepeda motor" in text
    assert "ETLE/" in text and event["event_id"][:8].upper() in text
    assert _pictures(image) == 4


def _read_pdf(data: bytes) -> tuple[str, np.ndarray]:
    pdf = pdfium.PdfDocument(data)
    try:
        assert len(pdf) == 1
        page = pdf[0]
        text = page.get_textpage().get_text_range()
        image = np.asarray(page.render(scale=1.5).to_pil().convert("L"))
    finally:
        pdf.close()
    return " ".join(text.split()), image


def _pictures(image: np.ndarray) -> int:
    """How many pictures the rendered page shows: large, solidly inked regions (text glyphs are small,
    and the facts table's grid is large but mostly empty)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats((image < 235).astype(np.uint8), connectivity=8)
    solid = [s for s in stats[1:count] if s[cv2.CC_STAT_AREA] > 4000 and
             s[cv2.CC_STAT_AREA] > 0.8 * s[cv2.CC_STAT_WIDTH] * s[cv2.CC_STAT_HEIGHT]]
    return len(solid)


def test_the_devices_view_shows_each_box_status_and_chain(office: Office) -> None:
    store = Store.open(office.data)
    record = store.records()[0]
    store.put_status(record.site, record.camera, json.dumps({
        "state": "online", "device_id": record.device_id, "outbox": {"depth": 4},
        "clock": {"synced": True, "source": "chrony", "offset_s": 0.0021}, "calibration": {"version": 3},
        "faults": [], "judging": True}))
    store.put_status("t-02", "cam-09", json.dumps({"state": "offline"}))  # a last will
    store.put_status("t-03", "cam-01", json.dumps({"state": "online", "device_id": "etle-3", "judging": False,
                                                   "faults": ["site: stop line s1 outside its lanes"]}))
    client = app_client(office)
    log_in(client, "sari")
    page = " ".join(client.get("/devices").text.split())
    row = f"<td>{record.site}/{record.camera}</td><td>{record.device_id}</td><td class=ok>online</td><td>4</td>"
    assert row in page
    assert "synchronised (chrony, offset 2.1 ms ahead)" in page and "seq 1..3: continuous" in page
    assert "<td>t-02/cam-09</td><td></td><td class=bad>offline</td>" in page
    assert "FAIL-SAFE: issues no violations" in page and "stop line s1 outside its lanes" in page
