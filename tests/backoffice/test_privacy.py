"""Privacy in the review app (issue 16, UU PDP 27/2022), over a real store of real signed events
with the box's real redacted copies: the copies are what every page, thumbnail and letter shows;
an original opens only for an allowed role, with a reason, for a while, and every opening is
audited; a withheld original is requested from the box."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import cv2
import httpx
import numpy as np
import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backoffice.access import Originals
from backoffice.review import ReviewOptions, create_review_app
from backoffice.settings import BackofficeSettings, OriginalsSettings, SettingsError, load_settings
from backoffice.store import Store
from edge.ledger.keys import load_public_keys
from tests.backoffice.kit import ORIGIN, Office, csrf_of, log_in, redacting_office

REASON = "court hearing PN Makassar 12/2026, plate dispute"


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Office]:
    """One office per `publish` mode, made once (the redaction takes seconds); each test gets a copy."""
    return {mode: redacting_office(tmp_path_factory.mktemp(mode), mode) for mode in ("both", "redacted")}


def copy_of(made: dict[str, Office], mode: str, tmp_path: Path) -> Office:
    office = made[mode]
    shutil.copytree(office.data, tmp_path / "office")
    return Office(tmp_path / "office", office.keys, office.event_ids)


def client_for(office: Office, who: str, grant_s: float = 600.0) -> TestClient:
    settings = BackofficeSettings(originals=OriginalsSettings(grant_s=grant_s))
    client = TestClient(create_review_app(ReviewOptions(office.data, load_public_keys(office.keys),
                                                        settings=settings)), base_url="http://127.0.0.1")
    assert log_in(client, who).status_code == 303
    return client


def folder_of(office: Office) -> Path:
    return next((office.data / "records").rglob(f"{office.event_ids[0]}/event.json")).parent


def post(client: TestClient, path: str, csrf: str | None, **form: str) -> httpx.Response:
    fields = {**form, **({"csrf": csrf} if csrf is not None else {})}
    return client.post(path, content=str(httpx.QueryParams(fields)), follow_redirects=False,
                       headers={"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN})


@pytest.mark.parametrize("mode", ["redacted", "both"])
def test_pages_and_thumbnails_show_the_redacted_copies(made: dict[str, Office], mode: str, tmp_path: Path) -> None:
    office = copy_of(made, mode, tmp_path)
    client, event_id, folder = client_for(office, "sari"), office.event_ids[0], folder_of(office)
    page = client.get(f"/records/{event_id}").text
    shown = re.findall(r'src="/records/[^/"]+/media/([^"]+)"', page)
    assert len(shown) == 5 and all(".redacted." in name for name in shown), shown
    assert "/originals/" not in page and "id=originals" not in page  # a reviewer: no link at all
    assert client.get(f"/records/{event_id}/thumbnail").content == (folder / "vehicle.redacted.jpg").read_bytes()
    assert client.get(f"/records/{event_id}/media/overview_at.redacted.jpg").status_code == 200
    # An original sent along (publish: both) is not served as a medium either, to any role.
    expected = 403 if mode == "both" else 404
    assert client.get(f"/records/{event_id}/media/overview_at.jpg").status_code == expected
    assert client_for(office, "rina").get(f"/records/{event_id}/media/overview_at.jpg").status_code == expected


def _render(pdf_bytes: bytes) -> np.ndarray:
    pdf = pdfium.PdfDocument(pdf_bytes)
    try:
        return np.asarray(pdf[0].render(scale=1.5).to_pil().convert("L"))
    finally:
        pdf.close()


def _boxes(page: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The pictures on the rendered page: large, solidly inked regions (x, y, w, h)."""
    count, _, stats, _ = cv2.connectedComponentsWithStats((page < 235).astype(np.uint8), connectivity=8)
    return [tuple(int(v) for v in s[:4]) for s in stats[1:count]  # type: ignore[misc]
            if s[cv2.CC_STAT_AREA] > 4000 and s[cv2.CC_STAT_AREA] > 0.8 * s[cv2.CC_STAT_WIDTH] * s[cv2.CC_STAT_HEIGHT]]


def _distance(region: np.ndarray, picture: Path) -> float:
    gray = cv2.imread(str(picture), cv2.IMREAD_GRAYSCALE)
    scaled = cv2.resize(gray, (region.shape[1], region.shape[0]), interpolation=cv2.INTER_AREA)
    return float(np.mean(np.abs(scaled.astype(np.float32) - region.astype(np.float32))))


def test_the_letter_is_made_from_the_redacted_copies_never_an_original(made: dict[str, Office],
                                                                       tmp_path: Path) -> None:
    office = copy_of(made, "both", tmp_path)  # the originals are here too: the letter must not take them
    client, event_id, folder = client_for(office, "sari"), office.event_ids[0], folder_of(office)
    page = client.get(f"/records/{event_id}").text
    assert post(client, f"/records/{event_id}/review", csrf_of(page), decision="approved").status_code == 303
    served = client.get(f"/records/{event_id}/letter.pdf")
    assert served.status_code == 200
    rendered = _render(served.content)
    boxes = _boxes(rendered)
    assert len(boxes) == 3  # overview, vehicle, annotated overview
    copies = sorted(folder.glob("*.redacted.jpg"))
    originals = [folder / p.name.replace(".redacted", "") for p in copies]
    for x, y, w, h in boxes:
        region = rendered[y:y + h, x:x + w]
        nearest_copy = min(_distance(region, p) for p in copies)
        nearest_original = min(_distance(region, p) for p in originals)
        # The left half of every picture is hidden in the copies: the printed picture is one of them.
        assert nearest_copy < nearest_original - 5, (nearest_copy, nearest_original)


def test_a_reviewer_is_refused_an_original(made: dict[str, Office], tmp_path: Path) -> None:
    office = copy_of(made, "both", tmp_path)
    client, event_id = client_for(office, "sari"), office.event_ids[0]
    csrf = csrf_of(client.get(f"/records/{event_id}").text)
    assert post(client, f"/records/{event_id}/originals/overview_at.jpg", csrf, reason=REASON).status_code == 403
    assert client.get(f"/records/{event_id}/originals/overview_at.jpg").status_code == 403
    assert client.get(f"/records/{event_id}/originals/overview_at.jpg/file").status_code == 403
    assert Originals(Store.open(office.data)).access_log() == []


def test_a_supervisor_opens_an_original_with_a_reason_audited_for_a_while(made: dict[str, Office],
                                                                         tmp_path: Path) -> None:
    office = copy_of(made, "both", tmp_path)
    client, event_id, folder = client_for(office, "rina", grant_s=3.0), office.event_ids[0], folder_of(office)
    page = client.get(f"/records/{event_id}").text
    assert "id=originals" in page and page.count("<form class=original") == 5
    csrf, target = csrf_of(page), f"/records/{event_id}/originals/overview_at.jpg"
    assert client.get(target).status_code == 403  # no grant yet
    assert post(client, target, csrf).status_code == 422  # no reason
    assert post(client, target, csrf, reason="just looking").status_code == 422  # too short
    assert post(client, target, None, reason=REASON).status_code == 403  # no CSRF token
    assert post(client, f"/records/{event_id}/originals/overview_at.redacted.jpg", csrf,
                reason=REASON).status_code == 404  # a copy is no original
    assert post(client, target, csrf, reason=REASON).status_code == 303
    shown = client.get(target).text
    assert 'id=original src="' in shown
    assert client.get(target + "/file").content == (folder / "overview_at.jpg").read_bytes()
    assert client.get(f"/records/{event_id}/originals/clip.mp4/file").status_code == 404  # not an original here
    assert client.get(f"/records/{event_id}/originals/vehicle.jpg/file").status_code == 403  # granted one file only

    audit = client.get("/audit").text
    assert "original_opened" in audit and REASON in audit and "Kompol Rina (rina)" in audit
    (line,) = Originals(Store.open(office.data)).access_log()
    assert (line.officer, line.action, line.event_id, line.name, line.reason) == (
        "rina", "original_opened", event_id, "overview_at.jpg", REASON)
    time.sleep(3.2)
    assert client.get(target + "/file").status_code == 403  # the grant ran out
    assert client.get(target).status_code == 403


def test_a_withheld_original_is_requested_from_the_box(made: dict[str, Office], tmp_path: Path) -> None:
    office = copy_of(made, "redacted", tmp_path)
    client, event_id = client_for(office, "rina"), office.event_ids[0]
    page = client.get(f"/records/{event_id}").text
    assert "kept on the box: requested from it" in page
    target = f"/records/{event_id}/originals/vehicle.jpg"
    assert post(client, target, csrf_of(page), reason=REASON).status_code == 303
    assert "Requested from the box" in client.get(target).text
    assert client.get(target + "/file").status_code == 404  # not here yet
    originals = Originals(Store.open(office.data))
    fetch = originals.fetch(event_id, "vehicle.jpg")
    assert fetch is not None and (fetch.status, fetch.requested_by, fetch.reason) == ("requested", "rina", REASON)
    assert post(client, target, csrf_of(page), reason=REASON).status_code == 303
    assert originals.unsent() == [fetch]  # asked twice, requested once
    assert [a.action for a in originals.access_log()] == ["original_opened", "original_requested",
                                                          "original_opened"]


def test_the_access_log_is_append_only(tmp_path: Path, database: str | None) -> None:
    store = Store.open(tmp_path / "office", database)
    with store.engine.begin() as db:
        db.execute(text("INSERT INTO access_log (at, officer, action, event_id, name, reason) "
                        "VALUES (1, 'rina', 'original_opened', 'e1', 'a.jpg', 'court hearing 12/2026')"))
    for statement in ("UPDATE access_log SET reason = 'nothing'", "DELETE FROM access_log"):
        with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as db:
            db.execute(text(statement))
    assert [a.reason for a in Originals(store).access_log()] == ["court hearing 12/2026"]


def test_settings_forbid_unknown_keys_and_default_to_supervisors(tmp_path: Path) -> None:
    assert load_settings(None).originals.roles == ("supervisor", "admin")
    assert load_settings(None).retention.rejected_days == 30
    (tmp_path / "s.yaml").write_text("originals:\n  roles: [admin]\n  grant_s: 60\nretention:\n  rejected_days: 7\n")
    loaded = load_settings(tmp_path / "s.yaml")
    assert (loaded.originals.roles, loaded.originals.grant_s, loaded.retention.rejected_days) == (("admin",), 60, 7)
    for bad in ("originals:\n  role: [admin]\n", "originals:\n  roles: [chief]\n", "retention:\n  rejected_days: -1\n"):
        (tmp_path / "bad.yaml").write_text(bad)
        with pytest.raises(SettingsError):
            load_settings(tmp_path / "bad.yaml")
