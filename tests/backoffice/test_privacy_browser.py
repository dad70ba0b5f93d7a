"""A supervisor opens an original in real headless Chromium against `python -m backoffice review`
(issue 16): the violation shows its redacted copies, the original opens only after a reason is
written, and the audit log lists the opening."""

from __future__ import annotations

from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.backoffice.kit import redacting_office
from tests.backoffice.test_officer_browser import LOADED, log_in, running_review, wait

REASON = "court hearing PN Makassar 12/2026, plate dispute"


def test_a_supervisor_opens_an_original_with_a_reason_and_the_audit_lists_it(
    chrome: webdriver.Chrome, tmp_path: Path,
) -> None:
    office = redacting_office(tmp_path, "both")
    event_id = office.event_ids[0]
    with running_review(office) as url:
        chrome.get(url + "/login")
        chrome.delete_all_cookies()
        log_in(chrome, url, "rina")
        chrome.get(f"{url}/records/{event_id}")
        wait(chrome).until(lambda d: d.find_elements(By.ID, "verified"))
        pictures = chrome.find_elements(By.CSS_SELECTOR, "figure img")
        assert len(pictures) == 5 and all(".redacted." in str(img.get_attribute("src")) for img in pictures)
        wait(chrome).until(lambda d: all(d.execute_script(LOADED, img) > 0 for img in pictures))

        form = next(f for f in chrome.find_elements(By.CSS_SELECTOR, "form.original")
                    if f.find_element(By.TAG_NAME, "b").text == "overview_at.jpg")
        form.find_element(By.TAG_NAME, "button").click()  # no reason: the browser itself will not send it
        assert chrome.current_url == f"{url}/records/{event_id}"
        form.find_element(By.NAME, "reason").send_keys(REASON)
        form.find_element(By.TAG_NAME, "button").click()
        wait(chrome).until(lambda d: d.find_elements(By.ID, "original"))
        original = chrome.find_element(By.ID, "original")
        assert str(original.get_attribute("src")).endswith(f"/records/{event_id}/originals/overview_at.jpg/file")
        wait(chrome).until(lambda d: d.execute_script(LOADED, original) > 0)
        assert chrome.execute_script("return arguments[0].naturalWidth", original) == 1280

        chrome.get(url + "/audit")
        access = chrome.find_element(By.ID, "access").text
        assert "Kompol Rina (rina)" in access and "original_opened" in access
        assert event_id in access and "overview_at.jpg" in access and REASON in access
